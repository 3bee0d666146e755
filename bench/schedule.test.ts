import { describe, expect, it } from 'vitest'
import { pairs, schedule } from './schedule.ts'

describe('schedule', () => {
  const windows = schedule(5, 30)

  it('alternates bare with the other variants, starting and ending with bare', () => {
    expect(windows).toHaveLength(2 * 4 * 30 + 1)
    windows.forEach((w, i) => expect(w.variant === 0).toBe(i % 2 === 0))
  })

  it('loads every other variant once per round', () => {
    for (let round = 0; round < 30; round++) {
      const loaded = windows.filter((w) => w.round === round && w.variant !== 0).map((w) => w.variant)
      expect(loaded.sort()).toEqual([1, 2, 3, 4])
    }
  })

  it('shuffles the order between rounds, repeatably for a seed', () => {
    const orders = new Set(Array.from({ length: 30 }, (_, round) => windows.filter((w) => w.round === round && w.variant).map((w) => w.variant).join()))
    expect(orders.size).toBeGreaterThan(5)
    expect(schedule(5, 30)).toEqual(windows)
    expect(schedule(5, 30, 7)).not.toEqual(windows)
  })

  it('pairs each variant window with the bare windows either side', () => {
    const all = pairs(windows)
    expect(all).toHaveLength(4 * 30)
    for (const p of all) {
      expect(windows[p.before].variant).toBe(0)
      expect(windows[p.after].variant).toBe(0)
      expect(windows[p.window]).toEqual({ variant: p.variant, round: p.round })
    }
  })
})
