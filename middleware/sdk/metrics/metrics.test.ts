import { type BatchObservableResult, ValueType } from '@opentelemetry/api'
import { describe, expect, it, vi } from 'vitest'
import { now } from '../clock.ts'
import { type HistogramPoint, type NumberPoint, DEFAULT_BOUNDARIES, EdgeMeterProvider, seriesCount, temporalityFor } from './metrics.ts'

function provider(temporality: 'delta' | 'cumulative' | 'lowmemory' = 'delta', cardinalityLimit = 2000) {
  return new EdgeMeterProvider({ temporality, cardinalityLimit })
}

async function collectOne(p: EdgeMeterProvider, name: string) {
  const scopes = await p.collect()
  return scopes.flatMap((s) => s.metrics).find((m) => m.name === name)
}

describe('EdgeMeterProvider', () => {
  it('hands out each delta measurement exactly once', async () => {
    const p = provider()
    const counter = p.getMeter('m').createCounter('hits', { valueType: ValueType.INT })
    let total = 0
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 7; i++) counter.add(1, { route: i % 2 ? '/a' : '/b' })
      const metric = await collectOne(p, 'hits')
      total += metric!.points.reduce((n, pt) => n + (pt as NumberPoint).value, 0)
    }
    expect(total).toBe(35)
    expect(await collectOne(p, 'hits')).toBeUndefined()
  })

  it('chains delta start times: each window starts where the last ended', async () => {
    const p = provider()
    const counter = p.getMeter('m').createCounter('c')
    counter.add(1)
    const first = (await collectOne(p, 'c'))!.points[0]
    await new Promise((r) => setTimeout(r, 5))
    counter.add(1)
    const second = (await collectOne(p, 'c'))!.points[0]
    expect(second.startTime).toBe(first.time)
  })

  it('buckets histogram values with upper-inclusive bounds and keeps count, sum, min and max', async () => {
    const p = provider()
    const h = p.getMeter('m').createHistogram('d', { unit: 's', advice: { explicitBucketBoundaries: [0.1, 1] } })
    for (const v of [0.05, 0.1, 0.5, 1, 3]) h.record(v)
    h.record(-1)
    const metric = (await collectOne(p, 'd'))!
    const point = metric.points[0] as HistogramPoint
    expect(metric.bucketBounds).toEqual([0.1, 1])
    expect(point.bucketCounts).toEqual([2, 2, 1])
    expect([point.count, point.sum, point.min, point.max]).toEqual([5, 4.65, 0.05, 3])
  })

  it('drops negative histogram values before they make a series: no slot taken, no stale start time', async () => {
    const p = provider('delta', 3)
    const h = p.getMeter('m').createHistogram('d')
    for (let i = 0; i < 5; i++) h.record(-1, { user: `u${i}` })
    expect(seriesCount(p)).toBe(0)
    await new Promise((r) => setTimeout(r, 5))
    const windowStart = now()
    expect(await p.collect()).toEqual([])
    h.record(2, { user: 'u0' })
    h.record(3, { user: 'new' })
    const points = (await collectOne(p, 'd'))!.points as HistogramPoint[]
    expect(points.map((pt) => pt.attributes)).toEqual([{ user: 'u0' }, { user: 'new' }])
    expect(points[0].startTime).toBeGreaterThanOrEqual(windowStart)
    expect(seriesCount(p)).toBe(0)
  })

  it('uses the SDK default boundaries without advice', async () => {
    const p = provider()
    p.getMeter('m').createHistogram('h').record(7)
    expect((await collectOne(p, 'h'))!.bucketBounds).toEqual(DEFAULT_BOUNDARIES)
  })

  it('keeps up-down counters cumulative under the delta preference', async () => {
    const p = provider()
    const active = p.getMeter('m').createUpDownCounter('active')
    active.add(1)
    active.add(1)
    expect(((await collectOne(p, 'active'))!.points[0] as NumberPoint).value).toBe(2)
    active.add(-1)
    const metric = (await collectOne(p, 'active'))!
    expect(metric.temporality).toBe('cumulative')
    expect((metric.points[0] as NumberPoint).value).toBe(1)
  })

  it('follows the spec temporality table for each preference', () => {
    expect(temporalityFor('counter', 'delta')).toBe('delta')
    expect(temporalityFor('histogram', 'lowmemory')).toBe('delta')
    expect(temporalityFor('observablecounter', 'delta')).toBe('delta')
    expect(temporalityFor('observablecounter', 'lowmemory')).toBe('cumulative')
    expect(temporalityFor('updowncounter', 'delta')).toBe('cumulative')
    expect(temporalityFor('counter', 'cumulative')).toBe('cumulative')
  })

  it('accumulates counters across collections when cumulative', async () => {
    const p = provider('cumulative')
    const counter = p.getMeter('m').createCounter('c')
    counter.add(2)
    await p.collect()
    counter.add(3)
    const point = (await collectOne(p, 'c'))!.points[0] as NumberPoint
    expect(point.value).toBe(5)
  })

  it('ignores negative and non-finite counter increments', async () => {
    const p = provider()
    const counter = p.getMeter('m').createCounter('c')
    counter.add(-1)
    counter.add(Number.NaN)
    counter.add(2)
    expect(((await collectOne(p, 'c'))!.points[0] as NumberPoint).value).toBe(2)
  })

  it('sends series past the cardinality limit to the otel.metric.overflow series', async () => {
    const p = provider('delta', 5)
    const counter = p.getMeter('m').createCounter('c')
    for (let i = 0; i < 10; i++) counter.add(1, { user: `u${i}` })
    const points = (await collectOne(p, 'c'))!.points as NumberPoint[]
    expect(points).toHaveLength(5)
    const overflow = points.find((pt) => pt.attributes['otel.metric.overflow'] === true)!
    expect(overflow.value).toBe(6)
    expect(points.reduce((n, pt) => n + pt.value, 0)).toBe(10)
  })

  it('treats attribute sets with the same pairs in any order as one series', async () => {
    const p = provider()
    const counter = p.getMeter('m').createCounter('c')
    counter.add(1, { a: 1, b: 2 })
    counter.add(1, { b: 2, a: 1 })
    expect((await collectOne(p, 'c'))!.points).toHaveLength(1)
  })

  it('calls observable callbacks at collection, as delta for counters under the delta preference', async () => {
    const p = provider()
    const meter = p.getMeter('m')
    let total = 10
    meter.createObservableCounter('requests.total').addCallback((r) => r.observe(total))
    meter.createObservableGauge('queue.depth').addCallback((r) => r.observe(3, { queue: 'q' }))
    const first = await p.collect()
    total = 15
    const second = await p.collect()
    const value = (scopes: typeof first, name: string) =>
      (scopes[0].metrics.find((m) => m.name === name)!.points[0] as NumberPoint).value
    expect(value(first, 'requests.total')).toBe(10)
    expect(value(second, 'requests.total')).toBe(5)
    expect(value(second, 'queue.depth')).toBe(3)
  })

  it('runs a batch observable callback once per collection for all its instruments, until it is removed', async () => {
    const p = provider()
    const meter = p.getMeter('m')
    const memory = meter.createObservableGauge('memory')
    const reads = meter.createObservableCounter('reads')
    const other = meter.createObservableGauge('other')
    let calls = 0
    const callback = (result: BatchObservableResult) => {
      calls++
      result.observe(memory, 512, { pool: 'heap' })
      result.observe(reads, 10 * calls)
      result.observe(other, 1)
    }
    meter.addBatchObservableCallback(callback, [memory, reads])
    const first = (await p.collect())[0].metrics
    expect(calls).toBe(1)
    expect(first.map((m) => [m.name, (m.points as NumberPoint[]).map((pt) => [pt.value, pt.attributes])])).toEqual([
      ['memory', [[512, { pool: 'heap' }]]],
      ['reads', [[10, {}]]],
    ])
    const second = (await p.collect())[0].metrics
    expect(calls).toBe(2)
    expect((second.find((m) => m.name === 'reads')!.points[0] as NumberPoint).value).toBe(10)
    meter.removeBatchObservableCallback(callback, [memory, reads])
    expect(await p.collect()).toEqual([])
    expect(calls).toBe(2)
  })

  it('returns the same instrument for the same name in one meter', async () => {
    const p = provider()
    const meter = p.getMeter('m')
    meter.createCounter('Same').add(1)
    meter.createCounter('same').add(1)
    expect(((await collectOne(p, 'Same'))!.points[0] as NumberPoint).value).toBe(2)
  })

  it('keeps instruments of one name but another kind, unit or description apart: each works and is exported', async () => {
    const p = provider()
    const meter = p.getMeter('m')
    meter.createCounter('x').add(2)
    expect(() => meter.createHistogram('x').record(1)).not.toThrow()
    meter.createHistogram('y').record(3)
    meter.createCounter('y').add(5)
    meter.createCounter('z', { unit: 'ms' }).add(1)
    meter.createCounter('Z', { unit: 's' }).add(7)
    const metrics = (await p.collect())[0].metrics
    const value = (m: (typeof metrics)[number]) => (m.type === 'histogram' ? (m.points[0] as HistogramPoint).sum : (m.points[0] as NumberPoint).value)
    expect(metrics.map((m) => [m.name, m.type, m.unit, value(m)])).toEqual([
      ['x', 'sum', '', 2],
      ['x', 'histogram', '', 1],
      ['y', 'histogram', '', 3],
      ['y', 'sum', '', 5],
      ['z', 'sum', 'ms', 1],
      ['Z', 'sum', 's', 7],
    ])
  })

  it('warns once per conflicting registration, naming the instrument and what differs', () => {
    const warnings: string[] = []
    const p = new EdgeMeterProvider({ temporality: 'delta', cardinalityLimit: 2000, warnOnce: (message) => warnings.push(message) })
    const meter = p.getMeter('shop')
    meter.createCounter('orders', { unit: '{order}' })
    meter.createCounter('Orders', { unit: '{order}' })
    expect(warnings).toEqual([])
    meter.createHistogram('orders', { unit: 's' })
    meter.createHistogram('orders', { unit: 's' })
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain('"orders"')
    expect(warnings[0]).toContain('"shop"')
    expect(warnings[0]).toContain('counter')
    expect(warnings[0]).toContain('histogram')
    expect(warnings[0]).toContain('"{order}"')
  })

  it('reports the conflict through the isolate\'s one-time warnings', async () => {
    const { telemetry } = await import('../../runtime/telemetry.ts')
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    try {
      const meter = telemetry.meterProvider.getMeter('conflicts')
      meter.createCounter('dup')
      meter.createUpDownCounter('dup')
      meter.createUpDownCounter('dup')
      expect(warn.mock.calls.map((c) => String(c[0]))).toEqual([expect.stringMatching(/^\[edge-otel\] .*"dup"/)])
    } finally {
      warn.mockRestore()
    }
  })
})

describe('attributesKey', () => {
  it('ignores key order and tells types apart', async () => {
    const { attributesKey } = await import('./metrics.ts')
    expect(attributesKey({ b: 1, a: 'x' })).toBe(attributesKey({ a: 'x', b: 1 }))
    expect(attributesKey({ a: 1 })).not.toBe(attributesKey({ a: '1' }))
    expect(attributesKey({ a: true })).not.toBe(attributesKey({ a: 'true' }))
    expect(attributesKey({ a: [1, 2] })).not.toBe(attributesKey({ a: '1,2' }))
    expect(attributesKey({})).toBe('')
  })
})
