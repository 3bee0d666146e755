// Turns a decoded OTLP export request into what the viewer keeps. Whatever a sender puts in it (a
// wrong type, a megabyte string, an id that is not hex) ends up as plain, bounded values: strings cut
// to a length, lists and maps to a size, and items without valid ids left out.
import type { Attributes, LogRecord, Span, SpanEvent, SpanLink, Value } from './model.ts'

/** Caps on what one item may hold; past them, values are cut and counted as dropped. */
export interface IngestLimits {
  /** Characters of one string value (attribute, body, name); longer ones are cut with a note. */
  maxStringLength: number
  maxAttributes: number
  maxEvents: number
  maxLinks: number
}

/** The caps the viewer applies (docs/viewer.md lists them). */
export const DEFAULT_INGEST_LIMITS: IngestLimits = { maxStringLength: 16_384, maxAttributes: 256, maxEvents: 256, maxLinks: 128 }

type Obj = Record<string, unknown>

const TRACE_ID = /^[0-9a-f]{32}$/
const SPAN_ID = /^[0-9a-f]{16}$/
const MAX_DEPTH = 4
const MAX_LIST = 256

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : [])

function text(v: unknown, limits: IngestLimits, fallback = ''): string {
  const s = typeof v === 'string' ? v : v === undefined || v === null ? fallback : String(v)
  return s.length > limits.maxStringLength ? `${s.slice(0, limits.maxStringLength)}… [${s.length - limits.maxStringLength} more characters]` : s
}

function integer(v: unknown): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' ? Number(v) : Number.NaN
  return Number.isFinite(n) ? n : 0
}

/** Nanoseconds since the epoch (a string of digits, or a number) as fractional milliseconds. */
export function nanosToMs(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? v / 1e6 : 0
  if (typeof v !== 'string' || !/^\d{1,20}$/.test(v)) return 0
  return v.length > 6 ? Number(v.slice(0, -6)) + Number(v.slice(-6)) / 1e6 : Number(v) / 1e6
}

function id(v: unknown, pattern: RegExp): string | undefined {
  if (typeof v !== 'string') return undefined
  const lower = v.toLowerCase()
  return pattern.test(lower) && !/^0+$/.test(lower) ? lower : undefined
}

/** An OTLP AnyValue as a plain value. */
export function anyValue(v: unknown, limits: IngestLimits, depth = 0): Value {
  if (!isObj(v)) return null
  if ('stringValue' in v) return text(v.stringValue, limits)
  if ('boolValue' in v) return v.boolValue === true || v.boolValue === 'true'
  if ('intValue' in v) return integer(v.intValue)
  if ('doubleValue' in v) return typeof v.doubleValue === 'number' ? v.doubleValue : integer(v.doubleValue)
  if ('bytesValue' in v) return text(v.bytesValue, limits)
  if (depth >= MAX_DEPTH) return '[nested too deep]'
  if (isObj(v.arrayValue)) return list(v.arrayValue.values).slice(0, MAX_LIST).map((x) => anyValue(x, limits, depth + 1))
  if (isObj(v.kvlistValue)) return attributes(v.kvlistValue.values, limits, depth + 1).attributes
  return null
}

/** OTLP KeyValues as a map, at most `maxAttributes` of them; `dropped` counts the rest. */
export function attributes(kvs: unknown, limits: IngestLimits, depth = 0): { attributes: Attributes; dropped: number } {
  // No prototype, so that a key named `__proto__` is a key like any other.
  const out: Attributes = Object.create(null)
  let kept = 0
  let dropped = 0
  for (const kv of list(kvs)) {
    if (!isObj(kv) || typeof kv.key !== 'string') continue
    if (kept >= limits.maxAttributes) {
      dropped++
      continue
    }
    kept++
    out[text(kv.key, { ...limits, maxStringLength: 256 })] = anyValue(kv.value, limits, depth)
  }
  return { attributes: out, dropped }
}

function serviceOf(resource: Attributes): string {
  const name = resource['service.name']
  return typeof name === 'string' && name ? name : 'unknown_service'
}

/** Each item under resource → scope → items, with its resource's attributes and its scope. */
function* items(groups: unknown, scopesKey: string, itemsKey: string, limits: IngestLimits): Generator<[Obj, Attributes, Obj]> {
  for (const group of list(groups)) {
    if (!isObj(group)) continue
    const resource = attributes(isObj(group.resource) ? group.resource.attributes : undefined, limits).attributes
    for (const scoped of list(group[scopesKey])) {
      if (!isObj(scoped)) continue
      const scope = isObj(scoped.scope) ? scoped.scope : {}
      for (const item of list(scoped[itemsKey])) if (isObj(item)) yield [item, resource, scope]
    }
  }
}

/** The spans of a decoded ExportTraceServiceRequest; `skipped` counts those without a valid trace and span id. */
export function spansFromExport(request: Obj, limits = DEFAULT_INGEST_LIMITS): { spans: Span[]; skipped: number } {
  const out: Span[] = []
  let skipped = 0
  for (const [s, resource, scope] of items(request.resourceSpans, 'scopeSpans', 'spans', limits)) {
    const traceId = id(s.traceId, TRACE_ID)
    const spanId = id(s.spanId, SPAN_ID)
    if (!traceId || !spanId) {
      skipped++
      continue
    }
    const own = attributes(s.attributes, limits)
    const events = list(s.events)
    const links = list(s.links)
    const startMs = nanosToMs(s.startTimeUnixNano)
    const status = isObj(s.status) ? s.status : {}
    out.push({
      traceId,
      spanId,
      parentSpanId: id(s.parentSpanId, SPAN_ID),
      name: text(s.name, limits, '(unnamed)'),
      kind: kindOf(s.kind),
      startMs,
      endMs: Math.max(startMs, nanosToMs(s.endTimeUnixNano)),
      status: { code: statusOf(status.code), message: status.message ? text(status.message, limits) : undefined },
      service: serviceOf(resource),
      attributes: own.attributes,
      events: events.slice(0, limits.maxEvents).filter(isObj).map(
        (e): SpanEvent => ({ name: text(e.name, limits), timeMs: nanosToMs(e.timeUnixNano), attributes: attributes(e.attributes, limits).attributes }),
      ),
      links: links.slice(0, limits.maxLinks).filter(isObj).flatMap((l): SpanLink[] => {
        const linkTrace = id(l.traceId, TRACE_ID)
        const linkSpan = id(l.spanId, SPAN_ID)
        return linkTrace && linkSpan ? [{ traceId: linkTrace, spanId: linkSpan, attributes: attributes(l.attributes, limits).attributes }] : []
      }),
      resource,
      scope: { name: scope.name ? text(scope.name, limits) : undefined, version: scope.version ? text(scope.version, limits) : undefined },
      dropped: {
        attributes: own.dropped + integer(s.droppedAttributesCount),
        events: Math.max(0, events.length - limits.maxEvents) + integer(s.droppedEventsCount),
        links: Math.max(0, links.length - limits.maxLinks) + integer(s.droppedLinksCount),
      },
    })
  }
  return { spans: out, skipped }
}

const KIND_NAMES = ['SPAN_KIND_UNSPECIFIED', 'SPAN_KIND_INTERNAL', 'SPAN_KIND_SERVER', 'SPAN_KIND_CLIENT', 'SPAN_KIND_PRODUCER', 'SPAN_KIND_CONSUMER']

function kindOf(v: unknown): number {
  const n = typeof v === 'string' ? KIND_NAMES.indexOf(v) : integer(v)
  return n >= 0 && n <= 5 ? n : 0
}

function statusOf(v: unknown): number {
  const n = typeof v === 'string' ? ['STATUS_CODE_UNSET', 'STATUS_CODE_OK', 'STATUS_CODE_ERROR'].indexOf(v) : integer(v)
  return n === 1 || n === 2 ? n : 0
}

/** The log records of a decoded ExportLogsServiceRequest that belong to a trace. */
export function logsFromExport(request: Obj, limits = DEFAULT_INGEST_LIMITS): LogRecord[] {
  const out: LogRecord[] = []
  for (const [r, resource] of items(request.resourceLogs, 'scopeLogs', 'logRecords', limits)) {
    const traceId = id(r.traceId, TRACE_ID)
    if (!traceId) continue
    out.push({
      traceId,
      spanId: id(r.spanId, SPAN_ID),
      timeMs: nanosToMs(r.timeUnixNano) || nanosToMs(r.observedTimeUnixNano),
      severityNumber: integer(r.severityNumber),
      severityText: r.severityText ? text(r.severityText, limits) : undefined,
      body: anyValue(r.body, limits),
      service: serviceOf(resource),
      attributes: attributes(r.attributes, limits).attributes,
    })
  }
  return out
}

/** The metric the metrics page reads, per the HTTP semantic conventions. */
export const SERVER_DURATION = 'http.server.request.duration'

/** One data point of `http.server.request.duration`, durations in milliseconds. */
export interface DurationPoint {
  service: string
  route: string
  /** 1 DELTA, 2 CUMULATIVE (AggregationTemporality). */
  temporality: number
  timeMs: number
  count: number
  sumMs: number
  minMs?: number
  maxMs?: number
  /** Upper bounds of the finite buckets, in ms; `counts` has one more entry (the overflow bucket). */
  boundsMs: number[]
  counts: number[]
  /** The point has `error.type`, as the Prometheus rules in infra/ count errors. */
  error: boolean
}

/** The `http.server.request.duration` histogram points of a decoded ExportMetricsServiceRequest. */
export function durationPointsFromExport(request: Obj, limits = DEFAULT_INGEST_LIMITS): DurationPoint[] {
  const out: DurationPoint[] = []
  for (const [m, resource] of items(request.resourceMetrics, 'scopeMetrics', 'metrics', limits)) {
    if (m.name !== SERVER_DURATION || !isObj(m.histogram)) continue
    const toMs = m.unit === 'ms' ? 1 : 1000
    for (const p of list(m.histogram.dataPoints)) {
      if (!isObj(p)) continue
      const attrs = attributes(p.attributes, limits).attributes
      const boundsMs = list(p.explicitBounds).map((b) => integer(b) * toMs)
      const counts = list(p.bucketCounts).map(integer)
      const count = integer(p.count)
      if (count <= 0) continue
      out.push({
        service: serviceOf(resource),
        route: typeof attrs['http.route'] === 'string' ? attrs['http.route'] : '(no route)',
        temporality: integer(m.histogram.aggregationTemporality),
        timeMs: nanosToMs(p.timeUnixNano),
        count,
        sumMs: integer(p.sum) * toMs,
        minMs: p.min === undefined ? undefined : integer(p.min) * toMs,
        maxMs: p.max === undefined ? undefined : integer(p.max) * toMs,
        // Buckets that do not match their bounds are left out rather than guessed at.
        boundsMs: counts.length === boundsMs.length + 1 ? boundsMs : [],
        counts: counts.length === boundsMs.length + 1 ? counts : [count],
        error: attrs['error.type'] !== undefined && attrs['error.type'] !== '',
      })
    }
  }
  return out
}
