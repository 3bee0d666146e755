import { describe, expect, it } from 'vitest'
import { now, toMillis } from './clock.ts'

describe('clock', () => {
  it('reads wall-clock milliseconds, finer than Date.now() where the runtime allows', () => {
    const before = Date.now()
    const t = now()
    expect(t).toBeGreaterThanOrEqual(before - 1)
    expect(t).toBeLessThanOrEqual(Date.now() + 1)
  })

  it('takes every time input the API allows: ms since the epoch, Date, [seconds, nanos], or now', () => {
    expect(toMillis(1_700_000_000_123)).toBe(1_700_000_000_123)
    expect(toMillis(new Date(1_700_000_000_123))).toBe(1_700_000_000_123)
    expect(toMillis([1_700_000_000, 123_456_789])).toBeCloseTo(1_700_000_000_123.456789, 6)
    const before = Date.now()
    expect(toMillis(undefined)).toBeGreaterThanOrEqual(before - 1)
  })
})
