import {
  type Attributes,
  type BatchObservableCallback,
  type Counter,
  type Gauge,
  type Histogram,
  type Meter,
  type MeterProvider,
  type MetricOptions,
  type Observable,
  type ObservableCallback,
  type UpDownCounter,
  type ValueType,
} from '@opentelemetry/api'
import { VALUE_DOUBLE } from '../api-values.ts'
import { now } from '../clock.ts'
import type { InstrumentationScope, ScopeOptions } from '../trace/tracer.ts'

/** `OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE`, with the spec's meaning. */
export type TemporalityPreference = 'delta' | 'cumulative' | 'lowmemory'
export type Temporality = 'delta' | 'cumulative'

type InstrumentKind =
  | 'counter'
  | 'updowncounter'
  | 'histogram'
  | 'gauge'
  | 'observablecounter'
  | 'observableupdowncounter'
  | 'observablegauge'

/** The default explicit bucket boundaries of the OpenTelemetry metrics SDK spec. */
export const DEFAULT_BOUNDARIES = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000]

/** The attribute set that absorbs series past the cardinality limit, as the spec names it. */
export const OVERFLOW_ATTRIBUTES: Attributes = Object.freeze({ 'otel.metric.overflow': true })

export interface NumberPoint {
  attributes: Attributes
  startTime: number
  time: number
  value: number
}

export interface HistogramPoint {
  attributes: Attributes
  startTime: number
  time: number
  count: number
  sum: number
  min: number
  max: number
  bucketCounts: number[]
}

export interface CollectedMetric {
  name: string
  description: string
  unit: string
  valueType: ValueType
  type: 'sum' | 'gauge' | 'histogram'
  temporality: Temporality
  monotonic: boolean
  bucketBounds: number[]
  points: Array<NumberPoint | HistogramPoint>
}

export interface CollectedScope {
  scope: InstrumentationScope
  metrics: CollectedMetric[]
}

export interface MeterSettings {
  temporality: TemporalityPreference
  /** Series kept per instrument before new ones go to the overflow series; default 2000. */
  cardinalityLimit: number
  /** Reports a duplicate instrument registration (the spec's name for two instruments of one name). */
  warnOnce?: (message: string) => void
}

/** The temporality the spec's preference table gives each instrument kind. */
export function temporalityFor(kind: InstrumentKind, preference: TemporalityPreference): Temporality {
  if (preference === 'cumulative') return 'cumulative'
  if (kind === 'counter' || kind === 'histogram') return 'delta'
  if (kind === 'observablecounter' && preference === 'delta') return 'delta'
  return 'cumulative'
}

const frozenKeys = new WeakMap<Attributes, string>()

/**
 * A string that identifies an attribute set whatever the order of its keys. Callers that build
 * their attributes in sorted key order (as the middleware does) skip the sort.
 */
export function attributesKey(attributes: Attributes | undefined): string {
  if (!attributes) return ''
  // A frozen attribute set (the middleware's constants) cannot change: compute its key once.
  if (Object.isFrozen(attributes)) {
    let key = frozenKeys.get(attributes)
    if (key === undefined) {
      key = computeKey(attributes)
      frozenKeys.set(attributes, key)
    }
    return key
  }
  return computeKey(attributes)
}

function computeKey(attributes: Attributes): string {
  const keys = Object.keys(attributes)
  const n = keys.length
  for (let i = 1; i < n; i++) {
    if (keys[i - 1] > keys[i]) {
      keys.sort()
      break
    }
  }
  let key = ''
  for (let i = 0; i < n; i++) {
    const k = keys[i]
    const v = attributes[k]
    const t = typeof v
    key += `${k}\u0000${t === 'string' || t === 'number' || t === 'boolean' ? t[0] + v : `j${JSON.stringify(v)}`}\u0001`
  }
  return key
}

interface Series {
  attributes: Attributes
  startTime: number
  value: number
  count: number
  sum: number
  min: number
  max: number
  buckets: number[] | undefined
  previous: number
}

/** The fields that identify an instrument besides its kind, as its metric reports them. */
type Identity = Pick<CollectedMetric, 'name' | 'description' | 'unit' | 'valueType'>

class Instrument {
  readonly series = new Map<string, Series>()
  readonly callbacks: ObservableCallback[] = []
  lastCollect: number

  readonly identity: Identity
  readonly kind: InstrumentKind
  readonly bucketBounds: number[]
  readonly settings: MeterSettings

  constructor(identity: Identity, kind: InstrumentKind, boundaries: number[], settings: MeterSettings) {
    this.identity = identity
    this.kind = kind
    this.bucketBounds = boundaries
    this.settings = settings
    this.lastCollect = now()
  }

  get temporality(): Temporality {
    return temporalityFor(this.kind, this.settings.temporality)
  }

  seriesFor(attributes: Attributes | undefined): Series {
    let key = attributesKey(attributes)
    let series = this.series.get(key)
    if (series) return series
    if (this.series.size >= this.settings.cardinalityLimit - 1) {
      key = '\u0002overflow'
      series = this.series.get(key)
      if (series) return series
      attributes = OVERFLOW_ATTRIBUTES
    }
    series = {
      attributes: attributes ? { ...attributes } : {},
      startTime: this.temporality === 'delta' ? this.lastCollect : now(),
      value: 0,
      count: 0,
      sum: 0,
      min: Infinity,
      max: -Infinity,
      buckets: this.kind === 'histogram' ? new Array(this.bucketBounds.length + 1).fill(0) : undefined,
      previous: 0,
    }
    this.series.set(key, series)
    return series
  }

  add(value: number, attributes?: Attributes): void {
    if (!Number.isFinite(value)) return
    if (value < 0 && this.kind === 'counter') return
    this.seriesFor(attributes).value += value
  }

  record(value: number, attributes?: Attributes): void {
    // A histogram drops a negative value before it can take a series.
    if (!Number.isFinite(value) || (value < 0 && this.kind !== 'gauge')) return
    const series = this.seriesFor(attributes)
    if (this.kind === 'gauge') {
      series.value = value
      series.count = 1
      return
    }
    series.count++
    series.sum += value
    if (value < series.min) series.min = value
    if (value > series.max) series.max = value
    const b = this.bucketBounds
    let i = 0
    while (i < b.length && value > b[i]) i++
    series.buckets![i]++
  }

  addCallback(callback: ObservableCallback): void {
    this.callbacks.push(callback)
  }

  removeCallback(callback: ObservableCallback): void {
    const i = this.callbacks.indexOf(callback)
    if (i !== -1) this.callbacks.splice(i, 1)
  }

  collect(time: number): CollectedMetric | undefined {
    const { kind, series } = this
    const points: Array<NumberPoint | HistogramPoint> = []
    const delta = this.temporality === 'delta'
    const observable = kind.startsWith('observable')
    const histogram = kind === 'histogram'
    // Synchronous counters report every series they hold; the others only series measured since the last collection.
    const measuredOnly = observable || !kind.endsWith('counter')
    const change = observable && delta
    for (const [key, s] of series) {
      if (measuredOnly && !s.count) continue
      points.push(
        histogram
          ? { attributes: s.attributes, startTime: s.startTime, time, count: s.count, sum: s.sum, min: s.min, max: s.max, bucketCounts: s.buckets!.slice() }
          : { attributes: s.attributes, startTime: change ? this.lastCollect : s.startTime, time, value: change ? s.value - s.previous : s.value },
      )
      s.previous = s.value
      if (!histogram) s.count = 0
      if (delta && !observable) series.delete(key)
    }
    if (kind === 'gauge') series.clear()
    this.lastCollect = time
    if (!points.length) return undefined
    return {
      ...this.identity,
      type: histogram ? 'histogram' : kind.endsWith('gauge') ? 'gauge' : 'sum',
      temporality: this.temporality,
      monotonic: kind === 'counter' || kind === 'observablecounter',
      bucketBounds: this.bucketBounds,
      points,
    }
  }
}

/** An observation of an observable instrument, made in a callback. */
function observe(instrument: Instrument, value: number, attributes?: Attributes): void {
  if (!Number.isFinite(value)) return
  const series = instrument.seriesFor(attributes)
  series.value = value
  series.count = 1
}

async function run<R>(callback: (result: R) => unknown, result: R): Promise<void> {
  try {
    await callback(result)
  } catch {
    // A failing user callback loses its own observations only.
  }
}

class EdgeMeter implements Meter {
  /** By case-insensitive name and identity: instruments that differ in any identifying field are kept apart. */
  readonly instruments = new Map<string, Instrument>()

  readonly scope: InstrumentationScope
  private readonly settings: MeterSettings
  readonly #batches: Array<[BatchObservableCallback, Observable[]]> = []

  constructor(scope: InstrumentationScope, settings: MeterSettings) {
    this.scope = scope
    this.settings = settings
  }

  #instrument(name: string, kind: InstrumentKind, { unit = '', description = '', valueType = VALUE_DOUBLE, advice }: MetricOptions = {}): Instrument {
    const lower = name.toLowerCase()
    const key = JSON.stringify({ name: lower, kind, unit, description, valueType })
    let instrument = this.instruments.get(key)
    if (!instrument) {
      for (const [other, { identity }] of this.instruments) {
        if (identity.name.toLowerCase() !== lower) continue
        this.settings.warnOnce?.(`meter "${this.scope.name}": instruments ${other} and ${key} are both exported; rename one.`)
        break
      }
      const boundaries = kind === 'histogram' ? (advice?.explicitBucketBoundaries ?? DEFAULT_BOUNDARIES) : []
      instrument = new Instrument({ name, description, unit, valueType }, kind, boundaries, this.settings)
      this.instruments.set(key, instrument)
    }
    return instrument
  }

  // An instrument is its own Counter, Histogram, Gauge or Observable: no wrapper per instrument.
  createCounter(name: string, options?: MetricOptions): Counter {
    return this.#instrument(name, 'counter', options)
  }

  createUpDownCounter(name: string, options?: MetricOptions): UpDownCounter {
    return this.#instrument(name, 'updowncounter', options)
  }

  createHistogram(name: string, options?: MetricOptions): Histogram {
    return this.#instrument(name, 'histogram', options)
  }

  createGauge(name: string, options?: MetricOptions): Gauge {
    return this.#instrument(name, 'gauge', options)
  }

  createObservableGauge(name: string, options?: MetricOptions): Observable {
    return this.#instrument(name, 'observablegauge', options)
  }

  createObservableCounter(name: string, options?: MetricOptions): Observable {
    return this.#instrument(name, 'observablecounter', options)
  }

  createObservableUpDownCounter(name: string, options?: MetricOptions): Observable {
    return this.#instrument(name, 'observableupdowncounter', options)
  }

  addBatchObservableCallback(callback: BatchObservableCallback, observables: Observable[]): void {
    this.#batches.push([callback, observables])
  }

  removeBatchObservableCallback(callback: BatchObservableCallback, observables: Observable[]): void {
    const i = this.#batches.findIndex(([c, o]) => c === callback && o.length === observables.length && o.every((x) => observables.includes(x)))
    if (i !== -1) this.#batches.splice(i, 1)
  }

  /** Runs each callback once (an instrument's own, then the batch ones), then collects every instrument. */
  async collect(): Promise<CollectedScope | undefined> {
    for (const instrument of this.instruments.values()) {
      for (const callback of instrument.callbacks) await run(callback, { observe: (value, attributes) => observe(instrument, value, attributes) })
    }
    for (const [callback, observables] of this.#batches) {
      await run(callback, { observe: (o, value, attributes) => observables.includes(o) && observe(o as Instrument, value, attributes) })
    }
    const time = now()
    const metrics: CollectedMetric[] = []
    for (const instrument of this.instruments.values()) {
      const metric = instrument.collect(time)
      if (metric) metrics.push(metric)
    }
    return metrics.length ? { scope: this.scope, metrics } : undefined
  }
}

/**
 * Aggregates measurements in memory until `collect()`, which the request-end flush calls.
 * Delta series are handed out exactly once: each measurement lands in one collection.
 */
export class EdgeMeterProvider implements MeterProvider {
  readonly meters = new Map<string, EdgeMeter>()

  readonly settings: MeterSettings

  constructor(settings: MeterSettings = { temporality: 'delta', cardinalityLimit: 2000 }) {
    this.settings = settings
  }

  getMeter(name: string, version?: string, options?: ScopeOptions): Meter {
    const key = JSON.stringify([name, version, options])
    let meter = this.meters.get(key)
    if (!meter) {
      meter = new EdgeMeter({ name, version, ...options }, this.settings)
      this.meters.set(key, meter)
    }
    return meter
  }

  async collect(): Promise<CollectedScope[]> {
    const out: CollectedScope[] = []
    for (const meter of this.meters.values()) {
      const scope = await meter.collect()
      if (scope) out.push(scope)
    }
    return out
  }
}

/** Attribute sets held across all instruments of a provider (for tests of bounded memory). */
export function seriesCount(provider: EdgeMeterProvider): number {
  let n = 0
  for (const meter of provider.meters.values()) for (const instrument of meter.instruments.values()) n += instrument.series.size
  return n
}
