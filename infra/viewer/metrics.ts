// Request rate, latency percentiles and error ratio per function and route, from the DELTA points of
// `http.server.request.duration`: each point's buckets are added into the time slot it ends in, and
// percentiles are read from the summed buckets, interpolating inside a bucket as Prometheus'
// histogram_quantile does (narrowed by the points' min and max). An error is a point with
// `error.type`, as in infra/prometheus/rules.yml.
import type { DurationPoint } from './ingest.ts'

export interface RequestMetricsOptions {
  /** Width of one time slot of the charts. */
  slotMs: number
  /** How far back slots are kept. */
  windowMs: number
  /** Distinct function-and-route pairs kept; points of further pairs are counted and left out. */
  maxSeries: number
}

/** 10 s slots over 15 minutes, at most 500 function-and-route pairs. */
export const DEFAULT_REQUEST_METRICS_OPTIONS: RequestMetricsOptions = { slotMs: 10_000, windowMs: 15 * 60_000, maxSeries: 500 }

/** Summed histogram: count per bucket, keyed by the bucket's upper bound in ms (Infinity for the last, empty ones included). */
interface Histogram {
  buckets: Map<number, number>
  count: number
  errors: number
  sumMs: number
  minMs: number
  maxMs: number
}

export interface SlotFigures {
  startMs: number
  count: number
  errors: number
  /** Requests per second over the slot. */
  rate: number
  errorRatio: number
  /** p50, p95, p99 in ms. */
  p50?: number
  p95?: number
  p99?: number
}

export interface SeriesSnapshot {
  service: string
  route: string
  /** The whole window, its rate over the window's length. */
  total: Omit<SlotFigures, 'startMs'>
  slots: SlotFigures[]
}

export interface MetricsSnapshot {
  slotMs: number
  fromMs: number
  toMs: number
  series: SeriesSnapshot[]
  /** CUMULATIVE points are not read (the figures come from deltas); how many arrived. */
  ignoredCumulativePoints: number
  /** Points of pairs past `maxSeries`. */
  droppedPoints: number
}

const empty = (): Histogram => ({ buckets: new Map(), count: 0, errors: 0, sumMs: 0, minMs: Number.POSITIVE_INFINITY, maxMs: Number.NEGATIVE_INFINITY })

function addInto(into: Histogram, from: Histogram): void {
  for (const [upper, n] of from.buckets) into.buckets.set(upper, (into.buckets.get(upper) ?? 0) + n)
  into.count += from.count
  into.errors += from.errors
  into.sumMs += from.sumMs
  into.minMs = Math.min(into.minMs, from.minMs)
  into.maxMs = Math.max(into.maxMs, from.maxMs)
}

function histogramOf(point: DurationPoint): Histogram {
  const h = empty()
  // Empty buckets too: each bucket's lower bound is the upper bound of the one before.
  point.counts.forEach((n, i) => h.buckets.set(point.boundsMs[i] ?? Number.POSITIVE_INFINITY, n))
  h.count = point.count
  h.errors = point.error ? point.count : 0
  h.sumMs = point.sumMs
  h.minMs = point.minMs ?? Number.POSITIVE_INFINITY
  h.maxMs = point.maxMs ?? Number.NEGATIVE_INFINITY
  return h
}

/**
 * The `q` quantile (0 < q < 1) of a histogram: the bucket that holds the rank, and a linear guess
 * inside it, between its bounds narrowed by the observed min and max. Undefined when it is empty.
 */
export function quantile(q: number, h: Pick<Histogram, 'buckets' | 'minMs' | 'maxMs'>): number | undefined {
  const buckets = [...h.buckets].sort((a, b) => a[0] - b[0])
  const total = buckets.reduce((sum, [, n]) => sum + n, 0)
  if (total === 0) return undefined
  const rank = q * total
  let seen = 0
  let lower = 0
  for (const [upper, n] of buckets) {
    if (n > 0 && seen + n >= rank) {
      const lo = Number.isFinite(h.minMs) ? Math.max(lower, h.minMs) : lower
      const top = Number.isFinite(upper) ? upper : Number.isFinite(h.maxMs) ? h.maxMs : lower
      const hi = Math.max(lo, Number.isFinite(h.maxMs) ? Math.min(top, h.maxMs) : top)
      return lo + ((hi - lo) * (rank - seen)) / n
    }
    seen += n
    lower = upper
  }
  return undefined
}

function figures(h: Histogram, seconds: number): Omit<SlotFigures, 'startMs'> {
  return {
    count: h.count,
    errors: h.errors,
    rate: h.count / seconds,
    errorRatio: h.count ? h.errors / h.count : 0,
    p50: quantile(0.5, h),
    p95: quantile(0.95, h),
    p99: quantile(0.99, h),
  }
}

/** Keeps the slots of each function and route for the window, and reads the figures from them. */
export class RequestMetrics {
  readonly options: RequestMetricsOptions
  private readonly series = new Map<string, { service: string; route: string; slots: Map<number, Histogram> }>()
  private ignoredCumulative = 0
  private dropped = 0

  constructor(options: Partial<RequestMetricsOptions> = {}) {
    this.options = { ...DEFAULT_REQUEST_METRICS_OPTIONS, ...options }
  }

  get ignoredCumulativePoints(): number {
    return this.ignoredCumulative
  }

  /** Adds points; returns whether any was taken. */
  add(points: DurationPoint[], now = Date.now()): boolean {
    let taken = false
    this.prune(now)
    for (const point of points) {
      if (point.temporality !== 1) {
        this.ignoredCumulative++
        continue
      }
      const slot = Math.floor(point.timeMs / this.options.slotMs) * this.options.slotMs
      if (slot < now - this.options.windowMs) continue
      const key = JSON.stringify([point.service, point.route])
      let series = this.series.get(key)
      if (!series) {
        if (this.series.size >= this.options.maxSeries) {
          this.dropped++
          continue
        }
        series = { service: point.service, route: point.route, slots: new Map() }
        this.series.set(key, series)
      }
      let h = series.slots.get(slot)
      if (!h) series.slots.set(slot, (h = empty()))
      addInto(h, histogramOf(point))
      taken = true
    }
    return taken
  }

  snapshot(now = Date.now()): MetricsSnapshot {
    this.prune(now)
    const { slotMs, windowMs } = this.options
    const series = [...this.series.values()].map((s): SeriesSnapshot => {
      const all = empty()
      const slots = [...s.slots]
        .sort((a, b) => a[0] - b[0])
        .map(([startMs, h]) => {
          addInto(all, h)
          return { startMs, ...figures(h, slotMs / 1000) }
        })
      return { service: s.service, route: s.route, total: figures(all, windowMs / 1000), slots }
    })
    series.sort((a, b) => a.service.localeCompare(b.service) || a.route.localeCompare(b.route))
    return {
      slotMs,
      fromMs: Math.floor((now - windowMs) / slotMs) * slotMs,
      toMs: now,
      series,
      ignoredCumulativePoints: this.ignoredCumulative,
      droppedPoints: this.dropped,
    }
  }

  private prune(now: number): void {
    const oldest = now - this.options.windowMs - this.options.slotMs
    for (const [key, series] of this.series) {
      for (const slot of series.slots.keys()) if (slot < oldest) series.slots.delete(slot)
      if (!series.slots.size) this.series.delete(key)
    }
  }
}
