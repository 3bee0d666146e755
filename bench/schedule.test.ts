import { describe, expect, it } from 'vitest'
import { pairs, schedule } from './schedule.ts'

describe('schedule', () => {
  const windows = schedule(5, 30, { generations: 3 })

  it('alternates bare with the other variants, each set of processes starting and ending with bare', () => {
    expect(windows).toHaveLength(2 * 4 * 30 + 3)
    for (let i = 1; i < windows.length; i++) {
      const [a, b] = [windows[i - 1], windows[i]]
      if (a.generation === b.generation) expect(a.variant === 0).not.toBe(b.variant === 0)
      else expect([a.variant, b.variant]).toEqual([0, 0])
    }
    expect(windows[0].variant).toBe(0)
    expect(windows.at(-1)!.variant).toBe(0)
  })

  it('loads every other variant once per round', () => {
    for (let round = 0; round < 30; round++) {
      const loaded = windows.filter((w) => w.round === round && w.variant !== 0).map((w) => w.variant)
      expect(loaded.sort()).toEqual([1, 2, 3, 4])
    }
  })

  it('loads each bare process as often as each other variant: once per round', () => {
    // Bare windows that close a variant's window; the one opening each set of processes is extra.
    const closing = windows.filter((w, i) => w.variant === 0 && i > 0 && windows[i - 1].variant !== 0)
    for (let round = 0; round < 30; round++) {
      expect(closing.filter((w) => w.round === round).map((w) => w.baseline).sort()).toEqual([0, 1, 2, 3])
    }
    expect(new Set(schedule(5, 3, { baselines: 1 }).filter((w) => w.variant === 0).map((w) => w.baseline))).toEqual(new Set([0]))
  })

  it('replaces the processes at even round boundaries', () => {
    expect(windows.filter((w) => w.round < 10).every((w) => w.generation === 0)).toBe(true)
    expect(windows.filter((w) => w.round >= 10 && w.round < 20).every((w) => w.generation === 1)).toBe(true)
    expect(windows.filter((w) => w.round >= 20).every((w) => w.generation === 2)).toBe(true)
  })

  it('shuffles the order between rounds, repeatably for a seed', () => {
    const orders = new Set(Array.from({ length: 30 }, (_, round) => windows.filter((w) => w.round === round && w.variant).map((w) => w.variant).join()))
    expect(orders.size).toBeGreaterThan(5)
    expect(schedule(5, 30, { generations: 3 })).toEqual(windows)
    expect(schedule(5, 30, { generations: 3, seed: 7 })).not.toEqual(windows)
  })

  it('pairs each variant window with bare windows of its own set of processes, from two different bare processes', () => {
    const all = pairs(windows)
    expect(all).toHaveLength(4 * 30)
    for (const p of all) {
      const [before, window, after] = [windows[p.before], windows[p.window], windows[p.after]]
      expect(window).toMatchObject({ variant: p.variant, round: p.round })
      expect([before.variant, after.variant]).toEqual([0, 0])
      expect([before.generation, after.generation]).toEqual([window.generation, window.generation])
      expect(before.baseline).not.toBe(after.baseline)
    }
  })

  it('measures a variant given fewer rounds in that many, spread evenly over the run, each still between two bare windows', () => {
    const few = schedule(4, 30, { roundsOf: [30, 30, 10, 30] })
    const rounds = few.filter((w) => w.variant === 2).map((w) => w.round)
    expect(rounds).toHaveLength(10)
    expect(rounds.filter((r) => r < 15)).toHaveLength(5)
    expect(few.filter((w) => w.variant === 1)).toHaveLength(30)
    expect(pairs(few).filter((p) => p.variant === 2)).toHaveLength(10)
    for (const [k, w] of few.entries()) if (w.variant !== 0) expect([few[k - 1].variant, few[k + 1].variant]).toEqual([0, 0])
  })
})
