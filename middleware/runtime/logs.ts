import { type Attributes, type Counter, context, trace } from '@opentelemetry/api'
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions'
import { VALUE_INT } from '../sdk/api-values.ts'
import { now } from '../sdk/clock.ts'
import { type OtlpPayload, type Signal, payload } from '../exporter/export.ts'
import { anyValue, keyValues, resourceBytes, scope } from '../exporter/proto/encode.ts'
import { ProtoWriter } from '../exporter/proto/writer.ts'
import { REDACTED } from '../semconv/redact.ts'
import { telemetry } from './telemetry.ts'
import { LIBRARY_NAME, LIBRARY_VERSION } from '../sdk/version.ts'

export type Severity = 'debug' | 'info' | 'warn' | 'error'

/** OTLP SeverityNumber of each level (DEBUG 5, INFO 9, WARN 13, ERROR 17). */
const SEVERITY_NUMBER: Record<Severity, number> = { debug: 5, info: 9, warn: 13, error: 17 }

/** Log records held between exports (the spec's OTEL_BLRP_MAX_QUEUE_SIZE default); more are dropped and counted. */
const MAX_RECORDS = 2048
/** Log records one request (one trace) may add to an export, so a request logging in a loop cannot crowd out the others. */
const MAX_RECORDS_PER_REQUEST = 256

/** Attribute keys whose values are never logged as they are. */
const SENSITIVE = /pass(word)?|secret|token|api[-_]?key|authorization|cookie|credential|session/i

interface LogRecord {
  time: number
  severity: Severity
  message: string
  attributes: Attributes
  traceId?: string
  spanId?: string
  traceFlags?: number
}

let records: LogRecord[] = []
let dropped = 0
/** Records each trace added since the last export, and those over the per-request cap. */
let perTrace = new Map<string | undefined, number>()
let overRequest = 0
let processed: Counter | undefined

// True while `log` writes its own JSON line, so console capture does not record it a second time.
let writing = false

function redact(attributes: Attributes | undefined): Attributes {
  const out: Attributes = {}
  for (const key in attributes) out[key] = SENSITIVE.test(key) ? REDACTED : attributes[key]
  return out
}

function record(severity: Severity, message: string, attributes: Attributes): LogRecord {
  const span = trace.getSpanContext(context.active())
  const entry: LogRecord = { time: now(), severity, message, attributes }
  if (span && trace.isSpanContextValid(span)) {
    entry.traceId = span.traceId
    entry.spanId = span.spanId
    entry.traceFlags = span.traceFlags
  }
  telemetry.addSource(collectLogs)
  const count = perTrace.get(entry.traceId) ?? 0
  if (count >= MAX_RECORDS_PER_REQUEST) overRequest++
  else if (records.length >= MAX_RECORDS) dropped++
  else {
    perTrace.set(entry.traceId, count + 1)
    records.push(entry)
  }
  return entry
}

function write(severity: Severity, message: string, attributes?: Attributes): void {
  const entry = record(severity, message, redact(attributes))
  const line = JSON.stringify({
    timestamp: new Date(entry.time).toISOString(),
    severity: severity.toUpperCase(),
    message,
    ...entry.attributes,
    trace_id: entry.traceId,
    span_id: entry.spanId,
  })
  writing = true
  try {
    console[severity === 'info' ? 'log' : severity](line)
  } finally {
    writing = false
  }
}

/**
 * Structured logs correlated with traces: each call writes one JSON line (timestamp, severity,
 * message, attributes, `trace_id` and `span_id` of the active span) and exports the same record as
 * an OTLP log record in the request-end flush. Attributes with sensitive names (password, token,
 * secret, api key, authorization, cookie…) are logged as `REDACTED`.
 *
 * @example
 * log.info('order placed', { 'app.order.id': 7 })
 */
export const log = {
  debug: (message: string, attributes?: Attributes) => write('debug', message, attributes),
  info: (message: string, attributes?: Attributes) => write('info', message, attributes),
  warn: (message: string, attributes?: Attributes) => write('warn', message, attributes),
  error: (message: string, attributes?: Attributes) => write('error', message, attributes),
}

let capturing = false

/**
 * Also exports what the worker writes with `console.*` while a request is traced, as OTLP log
 * records with its trace context. The console output itself is unchanged.
 */
export function captureConsole(): void {
  if (capturing) return
  capturing = true
  const before = { ...console }
  for (const method of ['debug', 'log', 'info', 'warn', 'error'] as const) {
    console[method] = (...args: unknown[]) => {
      if (!writing && trace.getSpan(context.active())) {
        const message = args.map((a) => (typeof a === 'string' ? a : a instanceof Error ? a.stack ?? a.message : safeJson(a))).join(' ')
        record(method === 'log' ? 'info' : method, message, {})
      }
      before[method](...args)
    }
  }
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value)
  } catch {
    return String(value)
  }
}

/** Encodes an `ExportLogsServiceRequest` (opentelemetry-proto logs/v1). */
export function encodeLogsProto(resource: Attributes, logs: LogRecord[]): Uint8Array {
  const w = new ProtoWriter(true)
  w.fork(1) // ResourceLogs
  w.bytes(1, resourceBytes(resource))
  w.fork(2) // ScopeLogs
  scope(w, { name: LIBRARY_NAME, version: LIBRARY_VERSION })
  for (const r of logs) {
    w.fork(2).timeNanos(1, r.time).varint(2, SEVERITY_NUMBER[r.severity]).string(3, r.severity.toUpperCase())
    anyValue(w, 5, r.message)
    keyValues(w, 6, r.attributes)
    if (r.traceId) w.fixed32(8, (r.traceFlags ?? 0) & 0xff).hexBytes(9, r.traceId).hexBytes(10, r.spanId!)
    w.timeNanos(11, r.time)
    w.close()
  }
  w.close().close()
  return w.finish()
}

/** The flush's logs payload; without a logs endpoint, records are discarded so memory stays bounded. */
function collectLogs(signals: Partial<Record<Signal, unknown>>, resource: Attributes): OtlpPayload | undefined {
  const batch = records
  const lost = dropped
  const capped = overRequest
  records = []
  dropped = 0
  perTrace = new Map()
  overRequest = 0
  processed ??= telemetry.own.meter.createCounter('otel.sdk.processor.log.processed', { unit: '{log_record}', valueType: VALUE_INT })
  if (lost) processed.add(lost, { [ATTR_ERROR_TYPE]: 'queue_full' })
  if (capped) processed.add(capped, { [ATTR_ERROR_TYPE]: 'request_limit' })
  if (!batch.length || !signals.logs) return undefined
  processed.add(batch.length)
  return payload('logs', encodeLogsProto(resource, batch), batch.length)
}
