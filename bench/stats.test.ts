import { describe, expect, it } from 'vitest'
import { quantile, spread, verdict } from './stats.ts'

describe('quantile and spread', () => {
  it('interpolates between order statistics as R and NumPy do by default (type 7)', () => {
    // numpy.quantile([4, 1, 3, 2], [0.25, 0.5, 0.75]) → [1.75, 2.5, 3.25]
    expect(quantile([4, 1, 3, 2], 0.25)).toBeCloseTo(1.75)
    expect(quantile([4, 1, 3, 2], 0.5)).toBeCloseTo(2.5)
    expect(quantile([4, 1, 3, 2], 0.75)).toBeCloseTo(3.25)
    expect(quantile([7], 0.25)).toBe(7)
    expect(quantile([], 0.5)).toBeNaN()
  })

  it('gives the median, quartiles and IQR without reordering its input', () => {
    const values = [0.9, 1.1, 1.0, 0.8, 1.2]
    expect(spread(values)).toEqual({ median: 1.0, q1: 0.9, q3: 1.1, iqr: expect.closeTo(0.2), n: 5 })
    expect(values).toEqual([0.9, 1.1, 1.0, 0.8, 1.2])
  })
})

describe('verdict', () => {
  it('counts a goal as met or missed only beyond the resolution', () => {
    expect(verdict(0.85, 0.8, 0.03, true)).toBe('met')
    expect(verdict(0.85, 0.8, 0.06, true)).toBe('unresolved')
    expect(verdict(0.75, 0.8, 0.03, true)).toBe('missed')
    expect(verdict(1.2, 1.3, 0.05, false)).toBe('met')
    expect(verdict(1.4, 1.3, 0.05, false)).toBe('missed')
    expect(verdict(1.32, 1.3, 0.05, false)).toBe('unresolved')
  })
})
