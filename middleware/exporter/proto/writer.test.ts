import { describe, expect, it } from 'vitest'
import { ProtoWriter, nanosOf } from './writer.ts'

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex')

describe('ProtoWriter', () => {
  it('writes varints, including multi-byte and 2^53-scale values', () => {
    expect(hex(new ProtoWriter().varint(1, 150).finish())).toBe('089601')
    expect(hex(new ProtoWriter().varint(1, 2 ** 35).finish())).toBe('0880808080 80'.replace(' ', '') + '01')
  })

  it('writes negative int64 as ten-byte two\'s complement', () => {
    expect(hex(new ProtoWriter().int64(1, -1).finish())).toBe('08ffffffffffffffffff01')
  })

  it('patches nested lengths that need more than one byte', () => {
    const w = new ProtoWriter().fork(1).string(2, 'x'.repeat(200)).close()
    const bytes = w.finish()
    expect(hex(bytes.subarray(0, 3))).toBe('0acb01')
    expect(bytes.length).toBe(3 + 3 + 200)
  })

  it('converts milliseconds to exact integer nanoseconds', () => {
    expect(nanosOf(1_700_000_000_000)).toBe(1_700_000_000_000_000_000n)
    expect(nanosOf(1.5)).toBe(1_500_000n)
  })
})

describe('nanosWords', () => {
  it('agrees with exact bigint arithmetic across the range of real timestamps', () => {
    for (const ms of [0, 1, 1.5, 999.999999, 1_700_000_000_123.5, 2 ** 41 - 0.25, 4_102_444_800_000]) {
      const whole = Math.floor(ms)
      const sub = Math.min(999_999, Math.round((ms - whole) * 1e6))
      expect(nanosOf(ms)).toBe(BigInt(whole) * 1_000_000n + BigInt(sub))
    }
  })

  it('writes non-ASCII strings as UTF-8', () => {
    const bytes = new ProtoWriter().string(1, 'é✓').finish()
    expect(hex(bytes)).toBe('0a05c3a9e29c93')
  })

  it('writes ids from hex', () => {
    expect(hex(new ProtoWriter().hexBytes(1, '00ff10ab').finish())).toBe('0a0400ff10ab')
  })
})
