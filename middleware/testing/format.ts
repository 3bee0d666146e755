// What arrived, as a reader scans it in a failed test: spans as trees per trace, metrics and logs one
// line each, with the attributes that identify them.
import type { ReceivedLog, ReceivedMetric, ReceivedPoint, ReceivedSpan } from './decode.ts'

/** A span kind, as expectations name it. */
export type SpanKindName = 'internal' | 'server' | 'client' | 'producer' | 'consumer'

/** OTLP SpanKind numbers by name. */
export const SPAN_KINDS: Record<SpanKindName | 'unspecified', number> = { unspecified: 0, internal: 1, server: 2, client: 3, producer: 4, consumer: 5 }
/** The name of an OTLP SpanKind number, as expectations write it. */
export const kindName = (kind: number): string => Object.keys(SPAN_KINDS)[kind] ?? String(kind)

/** A span status, as expectations name it. */
export type StatusName = 'unset' | 'ok' | 'error'

/** OTLP status codes by name. */
export const STATUS_CODES: Record<StatusName, number> = { unset: 0, ok: 1, error: 2 }

/** A log severity, as expectations name it. */
export type SeverityName = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'

/** The lowest SeverityNumber of each severity range (OpenTelemetry logs data model). */
export const SEVERITIES: Record<SeverityName, number> = { trace: 1, debug: 5, info: 9, warn: 13, error: 17, fatal: 21 }
/** The severity range a SeverityNumber falls in, e.g. 13 → WARN. */
export function severityName(n: number | undefined): string {
  if (!n) return 'UNSPECIFIED'
  const names = Object.keys(SEVERITIES) as SeverityName[]
  return names[Math.min(5, Math.floor((n - 1) / 4))].toUpperCase()
}

/** Attributes shown for every span, when it has them. */
const KEY_ATTRIBUTES = [
  'http.request.method', 'http.route', 'http.response.status_code', 'url.full', 'server.address',
  'messaging.destination.name', 'messaging.operation.type', 'faas.trigger', 'error.type',
]

const MAX_VALUE = 60

function value(v: unknown): string {
  const s = typeof v === 'string' ? JSON.stringify(v) : Array.isArray(v) ? `[${v.map(value).join(', ')}]` : String(v)
  return s.length > MAX_VALUE ? `${s.slice(0, MAX_VALUE)}…` : s
}

/** `{a=1, b="x"}` of the named keys that `attributes` has (all keys when `keys` is undefined). */
export function formatAttributes(attributes: Record<string, unknown>, keys?: Iterable<string>): string {
  const shown = keys ? [...new Set(keys)].filter((k) => k in attributes) : Object.keys(attributes)
  return shown.length ? `{${shown.map((k) => `${k}=${value(attributes[k])}`).join(', ')}}` : ''
}

function spanLine(s: ReceivedSpan, extraKeys: string[]): string {
  const parts = [`${s.name}`, `(${kindName(s.kind)})`]
  if (s.status.code === STATUS_CODES.error) parts.push(`ERROR${s.status.message ? ` "${s.status.message}"` : ''}`)
  const attributes = formatAttributes(s.attributes, [...KEY_ATTRIBUTES, ...extraKeys])
  if (attributes) parts.push(attributes)
  const service = s.resource['service.name']
  if (service !== undefined) parts.push(`service=${service}`)
  return parts.join(' ')
}

/**
 * The spans as one tree per trace: each span under its parent, with its kind, error status, key
 * attributes (and `extraKeys`, e.g. those an expectation names) and service. A span whose parent did
 * not arrive is a root, marked with the parent's id.
 */
export function formatSpans(spans: ReceivedSpan[], extraKeys: string[] = []): string {
  if (!spans.length) return '  (no spans)'
  const lines: string[] = []
  const traces = new Map<string, ReceivedSpan[]>()
  for (const s of spans) traces.set(s.traceId, [...(traces.get(s.traceId) ?? []), s])
  for (const [traceId, members] of traces) {
    lines.push(`  trace ${traceId}`)
    const ids = new Set(members.map((s) => s.spanId))
    const children = (id: string | undefined) => members.filter((s) => s.parentSpanId === id)
    const walk = (s: ReceivedSpan, prefix: string, last: boolean, remoteParent?: string) => {
      lines.push(`  ${prefix}${last ? '└─ ' : '├─ '}${spanLine(s, extraKeys)}${remoteParent ? ` [parent ${remoteParent} did not arrive]` : ''}`)
      const kids = children(s.spanId)
      kids.forEach((k, i) => walk(k, `${prefix}${last ? '   ' : '│  '}`, i === kids.length - 1))
    }
    const roots = members.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId))
    roots.forEach((r, i) => walk(r, '', i === roots.length - 1, r.parentSpanId))
  }
  return lines.join('\n')
}

function pointLine(p: ReceivedPoint, type: string): string {
  const figures =
    type === 'histogram'
      ? `count=${p.count ?? 0} sum=${p.sum ?? 0}${p.bucketCounts ? ` buckets=[${p.bucketCounts.join(',')}]` : ''}`
      : `value=${p.value ?? 0}`
  const attributes = formatAttributes(p.attributes)
  return `${figures}${attributes ? ` ${attributes}` : ''}`
}

/** Each metric on a line (name, type, unit), and each of its points under it. */
export function formatMetrics(metrics: ReceivedMetric[]): string {
  if (!metrics.length) return '  (no metrics)'
  const lines: string[] = []
  for (const m of metrics) {
    lines.push(`  ${m.name} (${m.type}${m.unit ? `, ${m.unit}` : ''})`)
    for (const p of m.points) lines.push(`    ${pointLine(p, m.type)}`)
  }
  return lines.join('\n')
}

/** Each log record on a line: severity, body, its span if it has one, attributes. */
export function formatLogs(logs: ReceivedLog[]): string {
  if (!logs.length) return '  (no log records)'
  return logs
    .map((r) => {
      const body = typeof r.body === 'string' ? JSON.stringify(r.body) : value(r.body)
      const span = r.spanId ? ` span=${r.spanId} trace=${r.traceId}` : ' (no span)'
      const attributes = formatAttributes(r.attributes)
      return `  ${r.severityText ?? severityName(r.severityNumber)} ${body}${span}${attributes ? ` ${attributes}` : ''}`
    })
    .join('\n')
}

/** Everything that arrived, by signal. */
export function formatTelemetry(t: { spans: ReceivedSpan[]; metrics: ReceivedMetric[]; logs: ReceivedLog[] }): string {
  return `spans:\n${formatSpans(t.spans)}\nmetrics:\n${formatMetrics(t.metrics)}\nlogs:\n${formatLogs(t.logs)}`
}
