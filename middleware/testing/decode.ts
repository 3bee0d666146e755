// Decodes OTLP requests with the protobufjs root generated from the official opentelemetry-proto
// files (shipped by @opentelemetry/otlp-transformer@0.214.0, bundled into dist/testing.js). It shares
// no code with the library's encoder, so a test that decodes here checks the bytes on the wire. The
// one decoder of the project: the test kit, the tests, the bench and the viewer use it. Web APIs only,
// so that it runs in workerd as in Node.
import Long from 'long'
import protobuf from 'protobufjs/minimal.js'
import root from 'otlp-proto-root/build/src/generated/root.js'

// protobufjs finds `long` through a require() of its own, which a bundle (the viewer's) does not
// have; without it, 64-bit nanosecond timestamps lose their last digits.
protobuf.util.Long = Long
protobuf.configure()

// The generated root's declarations type it as a bare Root; its static members are reached by name.
const proto = (root as unknown as { opentelemetry: { proto: any } }).opentelemetry.proto

interface MessageType {
  decode(bytes: Uint8Array): unknown
  encode(message: unknown): { finish(): Uint8Array }
  fromObject(object: unknown): unknown
  toObject(message: unknown, options: Record<string, unknown>): Record<string, unknown>
}

/** The protobufjs message types of the three OTLP export requests, by signal. */
export const TYPES: Record<string, MessageType> = {
  traces: proto.collector.trace.v1.ExportTraceServiceRequest,
  metrics: proto.collector.metrics.v1.ExportMetricsServiceRequest,
  logs: proto.collector.logs.v1.ExportLogsServiceRequest,
}

const TO_OBJECT = { longs: String, enums: Number, bytes: String, defaults: false, arrays: true }
const ID_KEYS = new Set(['traceId', 'spanId', 'parentSpanId'])

function hexToBase64(hex: string): string {
  if (!/^([0-9a-f]{2})*$/.test(hex)) throw new Error(`id "${hex}" is not lowercase hex`)
  let binary = ''
  for (let i = 0; i < hex.length; i += 2) binary += String.fromCharCode(Number.parseInt(hex.slice(i, i + 2), 16))
  return btoa(binary)
}

function base64ToHex(base64: string): string {
  let hex = ''
  for (const c of atob(base64)) hex += c.charCodeAt(0).toString(16).padStart(2, '0')
  return hex
}

/** OTLP/JSON writes ids as hex where the protobuf JSON mapping expects base64. */
function idsToBase64(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(idsToBase64)
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) out[k] = ID_KEYS.has(k) && typeof v === 'string' ? hexToBase64(v) : idsToBase64(v)
    return out
  }
  return value
}

/**
 * Throws unless every field of `input` survives a round trip through the schema with the same value:
 * an unknown or misspelled field, or a value of the wrong type, shows up as a difference.
 */
function assertRoundTrip(input: unknown, output: unknown, path: string): void {
  if (Array.isArray(input)) {
    if (!Array.isArray(output) || output.length !== input.length) throw new Error(`OTLP/JSON field ${path} did not survive decoding`)
    input.forEach((v, i) => assertRoundTrip(v, output[i], `${path}[${i}]`))
    return
  }
  if (input && typeof input === 'object') {
    const out = (output ?? {}) as Record<string, unknown>
    for (const [k, v] of Object.entries(input)) {
      if (!(k in out)) throw new Error(`unknown OTLP/JSON field ${path}.${k}`)
      assertRoundTrip(v, out[k], `${path}.${k}`)
    }
    return
  }
  if (String(input) !== String(output)) throw new Error(`OTLP/JSON field ${path} is ${JSON.stringify(input)}, decoded as ${String(output)}`)
}

/** Decodes an OTLP/HTTP body (protobuf or JSON) into plain objects with hex ids and string 64-bit ints. */
export function decodeRequest(signal: string, contentType: string, body: Uint8Array, strictJson = true): Record<string, unknown> {
  const type = TYPES[signal]
  if (!type) throw new Error(`unknown signal ${signal}`)
  let message: unknown
  if (contentType.startsWith('application/json')) {
    const json = JSON.parse(new TextDecoder().decode(body))
    if (!strictJson) return json
    const converted = idsToBase64(json)
    message = type.fromObject(converted)
    const roundTrip = type.decode(type.encode(message).finish())
    assertRoundTrip(converted, type.toObject(roundTrip, { ...TO_OBJECT, defaults: true }), '')
  } else if (contentType.startsWith('application/x-protobuf')) {
    message = type.decode(body)
  } else {
    throw new Error(`unsupported content-type ${contentType}`)
  }
  return idsToHex(type.toObject(message, TO_OBJECT)) as Record<string, unknown>
}

function idsToHex(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(idsToHex)
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const [k, v] of Object.entries(value)) {
      out[k] = ID_KEYS.has(k) && typeof v === 'string' ? base64ToHex(v) : idsToHex(v)
    }
    return out
  }
  return value
}

type AnyValue = Record<string, unknown>
type KeyValue = { key: string; value?: AnyValue }

function anyValue(v: AnyValue | undefined): unknown {
  if (!v) return undefined
  if ('stringValue' in v) return v.stringValue
  if ('boolValue' in v) return v.boolValue
  if ('intValue' in v) return Number(v.intValue)
  if ('doubleValue' in v) return v.doubleValue
  if ('arrayValue' in v) return ((v.arrayValue as { values?: AnyValue[] }).values ?? []).map(anyValue)
  return undefined
}

/** OTLP KeyValues as a plain object (64-bit integers as numbers). */
export function attributesOf(kvs: KeyValue[] | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const kv of kvs ?? []) out[kv.key] = anyValue(kv.value)
  return out
}

/** A span as it arrived: hex ids, `kind` as the OTLP SpanKind number (2 SERVER, 3 CLIENT, …), with its resource's attributes. */
export interface ReceivedSpan {
  traceId: string
  spanId: string
  parentSpanId?: string
  traceState?: string
  flags?: number
  name: string
  kind: number
  startTimeUnixNano: string
  endTimeUnixNano: string
  attributes: Record<string, unknown>
  events: Array<{ name: string; attributes: Record<string, unknown> }>
  links: Array<{ traceId: string; spanId: string }>
  status: { code?: number; message?: string }
  resource: Record<string, unknown>
  scope: { name?: string; version?: string }
}

/** One data point: `value` for sums and gauges; `count`, `sum`, `min`, `max` and buckets for histograms. */
export interface ReceivedPoint {
  attributes: Record<string, unknown>
  startTimeUnixNano: string
  timeUnixNano: string
  value?: number
  count?: number
  sum?: number
  min?: number
  max?: number
  bucketCounts?: number[]
  explicitBounds?: number[]
}

/** A metric as it arrived in one export, with its points and its resource's attributes. */
export interface ReceivedMetric {
  name: string
  unit?: string
  description?: string
  type: 'sum' | 'gauge' | 'histogram'
  temporality?: number
  isMonotonic?: boolean
  points: ReceivedPoint[]
  resource: Record<string, unknown>
  scope: { name?: string; version?: string }
}

type Obj = Record<string, any>

/**
 * Walks an export request's resource → scope → item levels (`resourceSpans` → `scopeSpans` → `spans`,
 * and the same for metrics and logs) and maps each item with its resource's attributes and its scope.
 */
function flatten<T>(groups: Obj[] | undefined, scopesKey: string, itemsKey: string, map: (item: Obj, resource: Record<string, unknown>, scope: Obj) => T): T[] {
  const out: T[] = []
  for (const group of groups ?? []) {
    const resource = attributesOf(group.resource?.attributes)
    for (const scoped of group[scopesKey] ?? []) {
      for (const item of scoped[itemsKey] ?? []) out.push(map(item, resource, scoped.scope ?? {}))
    }
  }
  return out
}

/** Flattens a decoded ExportTraceServiceRequest into spans that carry their resource. */
export function spansOf(request: Obj): ReceivedSpan[] {
  return flatten(request.resourceSpans, 'scopeSpans', 'spans', (s, resource, scope) => ({
    traceId: s.traceId,
    spanId: s.spanId,
    parentSpanId: s.parentSpanId || undefined,
    traceState: s.traceState,
    flags: s.flags,
    name: s.name,
    kind: s.kind ?? 0,
    startTimeUnixNano: s.startTimeUnixNano,
    endTimeUnixNano: s.endTimeUnixNano,
    attributes: attributesOf(s.attributes),
    events: (s.events ?? []).map((e: Obj) => ({ name: e.name, attributes: attributesOf(e.attributes) })),
    links: (s.links ?? []).map((l: Obj) => ({ traceId: l.traceId, spanId: l.spanId })),
    status: s.status ?? {},
    resource,
    scope,
  }))
}

function point(p: Obj): ReceivedPoint {
  return {
    attributes: attributesOf(p.attributes),
    startTimeUnixNano: p.startTimeUnixNano,
    timeUnixNano: p.timeUnixNano,
    value: p.asInt !== undefined ? Number(p.asInt) : p.asDouble,
    count: p.count !== undefined ? Number(p.count) : undefined,
    sum: p.sum,
    min: p.min,
    max: p.max,
    bucketCounts: p.bucketCounts?.map(Number),
    explicitBounds: p.explicitBounds,
  }
}

/** Flattens a decoded ExportMetricsServiceRequest into metrics that carry their resource. */
export function metricsOf(request: Obj): ReceivedMetric[] {
  return flatten(request.resourceMetrics, 'scopeMetrics', 'metrics', (m, resource, scope) => {
    const data = m.histogram ?? m.sum ?? m.gauge ?? {}
    return {
      name: m.name,
      unit: m.unit,
      description: m.description,
      type: m.histogram ? 'histogram' : m.sum ? 'sum' : 'gauge',
      temporality: data.aggregationTemporality,
      isMonotonic: data.isMonotonic,
      points: (data.dataPoints ?? []).map(point),
      resource,
      scope,
    }
  })
}

/** A log record as it arrived, with the trace and span it was written in, if any. */
export interface ReceivedLog {
  timeUnixNano: string
  severityNumber?: number
  severityText?: string
  body: unknown
  attributes: Record<string, unknown>
  traceId?: string
  spanId?: string
  flags?: number
  resource: Record<string, unknown>
}

/** Flattens a decoded ExportLogsServiceRequest into records that carry their resource. */
export function logsOf(request: Obj): ReceivedLog[] {
  return flatten(request.resourceLogs, 'scopeLogs', 'logRecords', (r, resource) => ({
    timeUnixNano: r.timeUnixNano,
    severityNumber: r.severityNumber,
    severityText: r.severityText,
    body: anyValue(r.body),
    attributes: attributesOf(r.attributes),
    traceId: r.traceId || undefined,
    spanId: r.spanId || undefined,
    flags: r.flags,
    resource,
  }))
}
