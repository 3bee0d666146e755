import type { Attributes, AttributeValue, SpanContext } from '@opentelemetry/api'
import type { CollectedMetric, CollectedScope, HistogramPoint, NumberPoint } from '../../sdk/metrics/metrics.ts'
import { ProtoWriter } from './writer.ts'
import type { FinishedSpan, InstrumentationScope } from '../../sdk/trace/tracer.ts'

// Field numbers from opentelemetry-proto (common/v1, resource/v1, trace/v1, metrics/v1).

export function anyValue(w: ProtoWriter, field: number, value: AttributeValue | null | undefined): void {
  w.fork(field)
  switch (typeof value) {
    case 'string':
      w.string(1, value)
      break
    case 'boolean':
      w.bool(2, value)
      break
    case 'number':
      if (Number.isInteger(value) && Math.abs(value) <= Number.MAX_SAFE_INTEGER) w.int64(3, value)
      else w.double(4, value)
      break
    case 'object':
      if (Array.isArray(value)) {
        w.fork(5)
        for (const v of value) anyValue(w, 1, v)
        w.close()
      }
      break
  }
  w.close()
}

export function keyValues(w: ProtoWriter, field: number, attributes: Attributes): void {
  for (const key in attributes) {
    const value = attributes[key]
    if (value === undefined) continue
    w.fork(field).string(1, key)
    anyValue(w, 2, value)
    w.close()
  }
}

const resourceCache = new WeakMap<Attributes, Uint8Array>()

/** The Resource message, encoded once per resource object. */
export function resourceBytes(resource: Attributes): Uint8Array {
  let bytes = resourceCache.get(resource)
  if (!bytes) {
    const w = new ProtoWriter()
    keyValues(w, 1, resource)
    bytes = w.finish()
    resourceCache.set(resource, bytes)
  }
  return bytes
}

export function scope(w: ProtoWriter, s: InstrumentationScope): void {
  w.fork(1).string(1, s.name)
  if (s.version) w.string(2, s.version)
  if (s.attributes) keyValues(w, 3, s.attributes)
  w.close()
}

/**
 * OTLP span and link flags: W3C trace flags in bits 0-7, then HAS_IS_REMOTE, and IS_REMOTE when the
 * context (a span's parent, or a link's target) came from another process.
 */
export function otlpFlags(traceFlags: number, remote: boolean | undefined): number {
  return (traceFlags & 0xff) | 0x100 | (remote ? 0x200 : 0)
}

/**
 * An export request of one resource: its items grouped by scope (`ResourceSpans` → `ScopeSpans` →
 * spans, and the same for metrics), each item written by `item`.
 */
function exportRequest<T>(resource: Attributes, groups: Iterable<[InstrumentationScope, T[]]>, item: (w: ProtoWriter, item: T) => void): Uint8Array {
  const w = new ProtoWriter(true)
  w.fork(1).bytes(1, resourceBytes(resource))
  for (const [s, items] of groups) {
    w.fork(2)
    scope(w, s)
    for (const i of items) {
      w.fork(2)
      item(w, i)
      w.close()
    }
    if (s.schemaUrl) w.string(3, s.schemaUrl)
    w.close()
  }
  w.close()
  return w.finish()
}

/** Trace id, span id and trace state: the first three fields of a span and of a link. */
function contextFields(w: ProtoWriter, context: SpanContext): void {
  w.hexBytes(1, context.traceId).hexBytes(2, context.spanId)
  const state = context.traceState?.serialize()
  if (state) w.string(3, state)
}

/** A `Span` message's fields. */
function encodeSpan(w: ProtoWriter, span: FinishedSpan): void {
  contextFields(w, span.context)
  if (span.parentSpanId) w.hexBytes(4, span.parentSpanId)
  w.string(5, span.name).varint(6, span.kind + 1)
  w.timeNanos(7, span.startTime).timeNanos(8, span.endTime)
  keyValues(w, 9, span.attributes)
  if (span.droppedAttributes) w.varint(10, span.droppedAttributes)
  for (const event of span.events) {
    w.fork(11).timeNanos(1, event.time).string(2, event.name)
    keyValues(w, 3, event.attributes)
    if (event.droppedAttributes) w.varint(4, event.droppedAttributes)
    w.close()
  }
  if (span.droppedEvents) w.varint(12, span.droppedEvents)
  for (const link of span.links) {
    w.fork(13)
    contextFields(w, link.context)
    keyValues(w, 4, link.attributes)
    if (link.droppedAttributes) w.varint(5, link.droppedAttributes)
    w.fixed32(6, otlpFlags(link.context.traceFlags, link.context.isRemote))
    w.close()
  }
  if (span.droppedLinks) w.varint(14, span.droppedLinks)
  if (span.status.code !== 0) {
    w.fork(15)
    if (span.status.message) w.string(2, span.status.message)
    w.varint(3, span.status.code)
    w.close()
  }
  w.fixed32(16, otlpFlags(span.context.traceFlags, span.parentIsRemote))
}

/** Encodes an `ExportTraceServiceRequest` in one pass over the spans. */
export function encodeTracesProto(resource: Attributes, spans: FinishedSpan[]): Uint8Array {
  const groups = new Map<InstrumentationScope, FinishedSpan[]>()
  for (const span of spans) {
    const group = groups.get(span.scope)
    if (group) group.push(span)
    else groups.set(span.scope, [span])
  }
  return exportRequest(resource, groups, encodeSpan)
}

const TEMPORALITY = { delta: 1, cumulative: 2 } as const

function numberPoint(w: ProtoWriter, p: NumberPoint, isInt: boolean): void {
  w.fork(1)
  keyValues(w, 7, p.attributes)
  w.timeNanos(2, p.startTime).timeNanos(3, p.time)
  if (isInt) w.sfixed64(6, Math.round(p.value))
  else w.double(4, p.value)
  w.close()
}

function histogramPoint(w: ProtoWriter, p: HistogramPoint, boundaries: number[]): void {
  w.fork(1)
  keyValues(w, 9, p.attributes)
  w.timeNanos(2, p.startTime).timeNanos(3, p.time)
  w.fixed64(4, p.count).double(5, p.sum)
  w.packedFixed64(6, p.bucketCounts)
  if (boundaries.length) w.packedDouble(7, boundaries)
  w.double(11, p.min).double(12, p.max)
  w.close()
}

/** A `Metric` message's fields. */
function encodeMetric(w: ProtoWriter, m: CollectedMetric): void {
  w.string(1, m.name)
  if (m.description) w.string(2, m.description)
  if (m.unit) w.string(3, m.unit)
  const isInt = m.valueType === 0
  const histogram = m.type === 'histogram'
  w.fork(histogram ? 9 : m.type === 'sum' ? 7 : 5)
  for (const p of m.points) {
    if (histogram) histogramPoint(w, p as HistogramPoint, m.bucketBounds)
    else numberPoint(w, p as NumberPoint, isInt)
  }
  if (m.type !== 'gauge') w.varint(2, TEMPORALITY[m.temporality])
  if (m.type === 'sum') w.bool(3, m.monotonic)
  w.close()
}

/** Encodes an `ExportMetricsServiceRequest`. */
export function encodeMetricsProto(resource: Attributes, scopes: CollectedScope[]): Uint8Array {
  return exportRequest(resource, scopes.map((group) => [group.scope, group.metrics]), encodeMetric)
}
