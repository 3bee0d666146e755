import { spawn } from 'node:child_process'
import { describe, expect, it } from 'vitest'
import { affinity, coreDelta, coreTimes, pin, processCpuSeconds, quiesce } from './machine.ts'

describe('processCpuSeconds', () => {
  it('reads a process\'s CPU time from /proc, which grows while it computes', () => {
    // Once, in a full run, a read after a change was not above the first (cause not found: the
    // process has many threads): wait for growth itself, a bounded number of rounds.
    const before = processCpuSeconds(process.pid)
    let x = 0
    for (let round = 0; round < 10_000 && processCpuSeconds(process.pid) <= before; round++) for (let i = 0; i < 1e6; i++) x += Math.sqrt(i)
    expect(processCpuSeconds(process.pid)).toBeGreaterThan(before)
    expect(x).toBeGreaterThan(0)
  })
})

describe('coreTimes', () => {
  it('reads a core\'s counters from /proc/stat, in seconds, only ever growing', () => {
    const before = coreTimes(0)
    expect(before.total).toBeGreaterThanOrEqual(before.busy + before.steal)
    expect(before.busy).toBeGreaterThan(0)
    const delta = coreDelta(before, coreTimes(0))
    for (const value of Object.values(delta)) expect(value).toBeGreaterThanOrEqual(0)
  })

  it('names a core that does not exist', () => {
    expect(() => coreTimes(4096)).toThrow(/no line for cpu4096/)
  })
})

describe('pin', () => {
  it('restricts a process to one core', async () => {
    const child = spawn('sleep', ['30'])
    try {
      await new Promise((resolve) => child.once('spawn', resolve))
      pin(child.pid!, 0)
      expect(affinity(child.pid!)).toBe('0')
    } finally {
      child.kill()
    }
  })
})

describe('quiesce', () => {
  it('waits while the CPU time still moves, and returns once it has stood still for two looks', async () => {
    const readings = [1, 2, 3, 4, 4, 4, 4, 4]
    let looks = 0
    await quiesce(() => readings[Math.min(looks++, readings.length - 1)])
    // The first read, three that moved, one equal (1 still), one more equal (2 still): six reads.
    expect(looks).toBe(6)
  })

  it('gives up at its limit when the CPU time never settles', async () => {
    let looks = 0
    await quiesce(() => looks++, 120)
    expect(looks).toBeGreaterThan(1)
  })
})
