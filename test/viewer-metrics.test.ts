// The metrics page's figures: percentiles read from summed DELTA histogram buckets, rate and error
// ratio per time slot, for each function and route.
import { describe, expect, it } from 'vitest'
import { type DurationPoint, durationPointsFromExport } from '../infra/viewer/ingest.ts'
import { RequestMetrics, quantile } from '../infra/viewer/metrics.ts'

/** The HTTP semantic conventions' duration buckets, in ms. */
const BOUNDS_MS = [5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000]

function histogram(counts: Record<number, number>, min?: number, max?: number) {
  const buckets = new Map<number, number>([...BOUNDS_MS, Number.POSITIVE_INFINITY].map((b) => [b, counts[b] ?? 0]))
  return { buckets, minMs: min ?? Number.POSITIVE_INFINITY, maxMs: max ?? Number.NEGATIVE_INFINITY }
}

describe('quantile', () => {
  it('interpolates inside the bucket that holds the rank, from the bucket below it', () => {
    // 10 requests in (5, 10] ms and 10 in (25, 50] ms.
    const h = histogram({ 10: 10, 50: 10 })
    expect(quantile(0.5, h)).toBe(10)
    expect(quantile(0.95, h)).toBeCloseTo(25 + 25 * 0.9)
    expect(quantile(0.99, h)).toBeCloseTo(25 + 25 * 0.98)
  })

  it('narrows the bucket to the observed min and max', () => {
    const h = histogram({ 10: 10, 50: 10 }, 6, 40)
    expect(quantile(0.25, h)).toBeCloseTo(6 + 4 * 0.5)
    expect(quantile(0.95, h)).toBeCloseTo(25 + 15 * 0.9)
    // One request: every percentile is its duration.
    expect(quantile(0.5, histogram({ 25: 1 }, 24, 24))).toBe(24)
    expect(quantile(0.99, histogram({ 25: 1 }, 24, 24))).toBe(24)
  })

  it('reads the overflow bucket up to the max, and nothing from an empty histogram', () => {
    expect(quantile(0.5, histogram({ [Number.POSITIVE_INFINITY]: 4 }, 10_500, 12_000))).toBe(11_250)
    expect(quantile(0.5, histogram({ [Number.POSITIVE_INFINITY]: 4 }))).toBe(10_000)
    expect(quantile(0.5, histogram({}))).toBeUndefined()
  })
})

const point = (p: Partial<DurationPoint>): DurationPoint => ({
  service: 'gateway',
  route: '/orders/:id',
  temporality: 1,
  timeMs: 0,
  count: 1,
  sumMs: 20,
  minMs: 20,
  maxMs: 20,
  boundsMs: BOUNDS_MS,
  counts: [0, 0, 1, ...Array(12).fill(0)],
  error: false,
  ...p,
})

describe('RequestMetrics', () => {
  const now = 1_700_000_000_000

  it('sums the points of a slot per function and route: rate per second, error ratio, percentiles', () => {
    const metrics = new RequestMetrics({ slotMs: 10_000 })
    const slot = Math.floor((now - 30_000) / 10_000) * 10_000
    metrics.add(
      [
        point({ timeMs: slot + 1000, count: 3, counts: [0, 0, 3, ...Array(12).fill(0)], minMs: 12, maxMs: 24 }),
        point({ timeMs: slot + 9000, count: 1, counts: [0, 0, 0, 0, 0, 0, 1, ...Array(8).fill(0)], minMs: 180, maxMs: 180, error: true }),
        point({ timeMs: slot + 12_000 }),
        point({ service: 'orders', timeMs: slot + 1000 }),
      ],
      now,
    )
    const { series } = metrics.snapshot(now)
    expect(series.map((s) => [s.service, s.route])).toEqual([
      ['gateway', '/orders/:id'],
      ['orders', '/orders/:id'],
    ])
    const [first, second] = series[0].slots
    expect(first).toMatchObject({ startMs: slot, count: 4, errors: 1, rate: 0.4, errorRatio: 0.25 })
    // The slot's min and max are 12 and 180. Rank 2 of 4 falls in (10, 25] narrowed to (12, 25], rank
    // 3.8 in (100, 250] narrowed to (100, 180].
    expect(first.p50).toBeCloseTo(12 + 13 * (2 / 3))
    expect(first.p95).toBeCloseTo(100 + 80 * 0.8)
    expect(second).toMatchObject({ startMs: slot + 10_000, count: 1, errors: 0, p50: 20 })
    expect(series[0].total).toMatchObject({ count: 5, errors: 1, errorRatio: 0.2 })
  })

  it('leaves out CUMULATIVE points, points older than the window, and pairs past maxSeries, and counts them', () => {
    const metrics = new RequestMetrics({ windowMs: 60_000, maxSeries: 1 })
    expect(metrics.add([point({ temporality: 2, timeMs: now })], now)).toBe(false)
    expect(metrics.add([point({ timeMs: now - 5 * 60_000 })], now)).toBe(false)
    expect(metrics.add([point({ timeMs: now }), point({ route: '/other', timeMs: now })], now)).toBe(true)
    const snapshot = metrics.snapshot(now)
    expect(snapshot.series.map((s) => s.route)).toEqual(['/orders/:id'])
    expect(snapshot.ignoredCumulativePoints).toBe(1)
    expect(snapshot.droppedPoints).toBe(1)
    // Past the window, the series goes.
    expect(metrics.snapshot(now + 3 * 60_000).series).toEqual([])
  })
})

describe('durationPointsFromExport', () => {
  const request = (unit: string, extra: Record<string, unknown> = {}) => ({
    resourceMetrics: [
      {
        resource: { attributes: [{ key: 'service.name', value: { stringValue: 'orders' } }] },
        scopeMetrics: [
          {
            metrics: [
              { name: 'http.server.request.duration', unit, histogram: { aggregationTemporality: 1, dataPoints: [{ timeUnixNano: '1700000000123000000', count: '2', sum: 0.03, min: 0.01, max: 0.02, bucketCounts: ['0', '2', '0'], explicitBounds: [0.005, 0.025], attributes: [{ key: 'http.route', value: { stringValue: '/orders' } }, { key: 'error.type', value: { stringValue: '500' } }], ...extra }] } },
              { name: 'orders.placed', sum: { dataPoints: [{ asInt: '1' }] } },
            ],
          },
        ],
      },
    ],
  })

  it('reads the HTTP server duration points in ms, with their function, route and error', () => {
    expect(durationPointsFromExport(request('s'))).toEqual([
      { service: 'orders', route: '/orders', temporality: 1, timeMs: 1_700_000_000_123, count: 2, sumMs: 30, minMs: 10, maxMs: 20, boundsMs: [5, 25], counts: [0, 2, 0], error: true },
    ])
    expect(durationPointsFromExport(request('ms'))[0]).toMatchObject({ sumMs: 0.03, boundsMs: [0.005, 0.025] })
  })

  it('does not guess at buckets that do not match their bounds', () => {
    expect(durationPointsFromExport(request('s', { bucketCounts: ['2'] }))[0]).toMatchObject({ boundsMs: [], counts: [2] })
  })
})
