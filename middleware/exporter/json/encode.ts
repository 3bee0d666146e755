import type { Attributes, AttributeValue } from '@opentelemetry/api'
import type { CollectedScope, HistogramPoint, NumberPoint } from '../../sdk/metrics/metrics.ts'
import type { JsonEncoding, SendResult } from '../export.ts'
import { otlpFlags } from '../proto/encode.ts'
import { nanosOf } from '../proto/writer.ts'
import type { FinishedSpan, InstrumentationScope } from '../../sdk/trace/tracer.ts'

// OTLP/JSON: lowerCamelCase field names, hex trace and span ids, enums as numbers,
// 64-bit integers as decimal strings.

type JsonAnyValue = Record<string, unknown>

function anyValue(value: AttributeValue | null | undefined): JsonAnyValue {
  switch (typeof value) {
    case 'string':
      return { stringValue: value }
    case 'boolean':
      return { boolValue: value }
    case 'number':
      return Number.isInteger(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER
        ? { intValue: String(value) }
        : { doubleValue: value }
    default:
      return Array.isArray(value) ? { arrayValue: { values: value.map((v) => anyValue(v)) } } : {}
  }
}

function keyValues(attributes: Attributes): Array<{ key: string; value: JsonAnyValue }> {
  const out = []
  for (const key in attributes) {
    const value = attributes[key]
    if (value !== undefined) out.push({ key, value: anyValue(value) })
  }
  return out
}

const nanos = (ms: number): string => nanosOf(ms).toString()

function scopeJson(s: InstrumentationScope) {
  return { name: s.name, version: s.version || undefined, attributes: s.attributes && keyValues(s.attributes) }
}

function spanJson(span: FinishedSpan) {
  return {
    traceId: span.context.traceId,
    spanId: span.context.spanId,
    traceState: span.context.traceState?.serialize(),
    parentSpanId: span.parentSpanId,
    flags: otlpFlags(span.context.traceFlags, span.parentIsRemote),
    name: span.name,
    kind: span.kind + 1,
    startTimeUnixNano: nanos(span.startTime),
    endTimeUnixNano: nanos(span.endTime),
    attributes: keyValues(span.attributes),
    droppedAttributesCount: span.droppedAttributes,
    events: span.events.map((e) => ({
      timeUnixNano: nanos(e.time),
      name: e.name,
      attributes: keyValues(e.attributes),
      droppedAttributesCount: e.droppedAttributes,
    })),
    droppedEventsCount: span.droppedEvents,
    links: span.links.map((l) => ({
      traceId: l.context.traceId,
      spanId: l.context.spanId,
      traceState: l.context.traceState?.serialize(),
      attributes: keyValues(l.attributes),
      droppedAttributesCount: l.droppedAttributes,
      flags: otlpFlags(l.context.traceFlags, l.context.isRemote),
    })),
    droppedLinksCount: span.droppedLinks,
    status: span.status.code ? { code: span.status.code, message: span.status.message || undefined } : undefined,
  }
}

/** Encodes an `ExportTraceServiceRequest` as OTLP/JSON. */
export function encodeTracesJson(resource: Attributes, spans: FinishedSpan[]): string {
  const scopes = new Map<InstrumentationScope, FinishedSpan[]>()
  for (const span of spans) {
    const group = scopes.get(span.scope)
    if (group) group.push(span)
    else scopes.set(span.scope, [span])
  }
  return JSON.stringify({
    resourceSpans: [
      {
        resource: { attributes: keyValues(resource) },
        scopeSpans: [...scopes].map(([s, group]) => ({ scope: scopeJson(s), spans: group.map(spanJson), schemaUrl: s.schemaUrl })),
      },
    ],
  })
}

const TEMPORALITY = { delta: 1, cumulative: 2 } as const

function numberPoint(p: NumberPoint, isInt: boolean) {
  return {
    attributes: keyValues(p.attributes),
    startTimeUnixNano: nanos(p.startTime),
    timeUnixNano: nanos(p.time),
    ...(isInt ? { asInt: String(Math.round(p.value)) } : { asDouble: p.value }),
  }
}

function histogramPoint(p: HistogramPoint, boundaries: number[]) {
  return {
    attributes: keyValues(p.attributes),
    startTimeUnixNano: nanos(p.startTime),
    timeUnixNano: nanos(p.time),
    count: String(p.count),
    sum: p.sum,
    bucketCounts: p.bucketCounts.map(String),
    explicitBounds: boundaries,
    min: p.min,
    max: p.max,
  }
}

/** Encodes an `ExportMetricsServiceRequest` as OTLP/JSON. */
export function encodeMetricsJson(resource: Attributes, scopes: CollectedScope[]): string {
  return JSON.stringify({
    resourceMetrics: [
      {
        resource: { attributes: keyValues(resource) },
        scopeMetrics: scopes.map((group) => ({
          scope: scopeJson(group.scope),
          schemaUrl: group.scope.schemaUrl,
          metrics: group.metrics.map((m) => {
            const isInt = m.valueType === 0
            const base = { name: m.name, description: m.description || undefined, unit: m.unit || undefined }
            if (m.type === 'histogram') {
              return {
                ...base,
                histogram: {
                  dataPoints: m.points.map((p) => histogramPoint(p as HistogramPoint, m.bucketBounds)),
                  aggregationTemporality: TEMPORALITY[m.temporality],
                },
              }
            }
            const dataPoints = m.points.map((p) => numberPoint(p as NumberPoint, isInt))
            return m.type === 'sum'
              ? { ...base, sum: { dataPoints, aggregationTemporality: TEMPORALITY[m.temporality], isMonotonic: m.monotonic } }
              : { ...base, gauge: { dataPoints } }
          }),
        })),
      },
    ],
  })
}

/** Reads `partialSuccess` from an OTLP/JSON response. */
export function readPartialSuccessJson(text: string): SendResult {
  try {
    const partial = JSON.parse(text)?.partialSuccess
    if (!partial) return {}
    const rejected = Number(partial.rejectedSpans ?? partial.rejectedDataPoints ?? partial.rejectedLogRecords ?? 0)
    return { rejected: rejected || undefined, message: partial.errorMessage || undefined }
  } catch {
    return {}
  }
}

/**
 * OTLP/JSON encoding. Pass it to export with `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`; workers
 * that don't pass it leave the JSON encoder out of their bundle.
 *
 * @example
 * app.use(otel({ encodings: [otlpJson] }))
 */
export const otlpJson: JsonEncoding = { traces: encodeTracesJson, metrics: encodeMetricsJson, partialSuccess: readPartialSuccessJson }
