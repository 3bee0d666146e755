import type { SpanContext } from '@opentelemetry/api'
import { describe, expect, it } from 'vitest'
import { newTraceId } from './ids.ts'
import { SAMPLER_NAMES, createSampler, inSample as inSampleAt, threshold } from './sampling.ts'

const inSample = (traceId: string, ratio: number) => inSampleAt(traceId, threshold(ratio))

const parent = (sampled: boolean): SpanContext => ({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: sampled ? 3 : 2, isRemote: true })
const ids = Array.from({ length: 20_000 }, newTraceId)

describe('inSample (trace id ratio)', () => {
  it('decides from the low 56 bits against the rejection threshold (1 - ratio) * 2^56', () => {
    // Low 56 bits = 0x80000000000000 = 2^55: exactly at the threshold of ratio 0.5, so kept.
    expect(inSample(`${'f'.repeat(18)}80000000000000`, 0.5)).toBe(true)
    expect(inSample(`${'f'.repeat(18)}7fffffffffffff`, 0.5)).toBe(false)
    // The high bits play no part.
    expect(inSample(`${'0'.repeat(18)}80000000000000`, 0.5)).toBe(true)
    expect(inSample(`${'0'.repeat(31)}1`, 0)).toBe(false)
    expect(inSample(`${'0'.repeat(18)}${'0'.repeat(14)}`, 1)).toBe(true)
    expect(inSample(`${'f'.repeat(32)}`, 0)).toBe(false)
    expect(inSample(`${'f'.repeat(32)}`, 1e-20)).toBe(false)
    expect(threshold(0.25)).toBe('c0000000000000')
    expect(threshold(1)).toBe('00000000000000')
  })

  it('keeps each ratio of random trace ids within 4 standard deviations', () => {
    for (const ratio of [0.01, 0.1, 0.25, 0.5, 0.9]) {
      const kept = ids.filter((id) => inSample(id, ratio)).length
      const sd = Math.sqrt(ids.length * ratio * (1 - ratio))
      expect(Math.abs(kept - ids.length * ratio), `ratio ${ratio}: kept ${kept}`).toBeLessThan(4 * sd)
    }
  })

  it('is consistent: every trace kept at a ratio is kept at any higher ratio', () => {
    const low = ids.filter((id) => inSample(id, 0.1))
    expect(low.every((id) => inSample(id, 0.3))).toBe(true)
  })
})

describe('createSampler (OTEL_TRACES_SAMPLER)', () => {
  const root = ids.slice(0, 2000)
  const share = (name: (typeof SAMPLER_NAMES)[number], p?: SpanContext) => root.filter((id) => createSampler(name, 0.25)(p, id)).length / root.length

  it('samples roots as always_on, always_off and traceidratio say', () => {
    expect(share('always_on')).toBe(1)
    expect(share('always_off')).toBe(0)
    expect(share('traceidratio')).toBeGreaterThan(0.2)
    expect(share('traceidratio')).toBeLessThan(0.3)
    expect(share('parentbased_always_on')).toBe(1)
    expect(share('parentbased_always_off')).toBe(0)
    expect(share('parentbased_traceidratio')).toBe(share('traceidratio'))
  })

  it('follows the parent\'s sampled flag in the parentbased_* samplers only', () => {
    for (const name of ['parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const) {
      expect(share(name, parent(true))).toBe(1)
      expect(share(name, parent(false))).toBe(0)
    }
    expect(share('always_on', parent(false))).toBe(1)
    expect(share('always_off', parent(true))).toBe(0)
    expect(share('traceidratio', parent(true))).toBe(share('traceidratio'))
  })
})
