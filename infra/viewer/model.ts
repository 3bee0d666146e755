// What the viewer keeps of received telemetry, and what its pages read as JSON. Times are
// milliseconds since the epoch (fractional, from the nanosecond fields).

/** An attribute value as the pages show it: a string, number, boolean, or a list or map of them. */
export type Value = string | number | boolean | null | Value[] | { [key: string]: Value }

export type Attributes = Record<string, Value>

export interface SpanEvent {
  name: string
  timeMs: number
  attributes: Attributes
}

export interface SpanLink {
  traceId: string
  spanId: string
  attributes: Attributes
}

export interface Span {
  traceId: string
  spanId: string
  parentSpanId?: string
  name: string
  /** SpanKind as OTLP numbers it: 1 INTERNAL, 2 SERVER, 3 CLIENT, 4 PRODUCER, 5 CONSUMER (0 unspecified). */
  kind: number
  startMs: number
  endMs: number
  /** OTLP status code: 0 unset, 1 ok, 2 error. */
  status: { code: number; message?: string }
  service: string
  attributes: Attributes
  events: SpanEvent[]
  links: SpanLink[]
  resource: Attributes
  scope: { name?: string; version?: string }
  /** What the sender dropped (its limits) or the viewer cut (its own). */
  dropped: { attributes: number; events: number; links: number }
}

export interface LogRecord {
  traceId: string
  spanId?: string
  timeMs: number
  severityNumber: number
  severityText?: string
  body: Value
  service: string
  attributes: Attributes
}

/** One line of the trace list. */
export interface TraceSummary {
  traceId: string
  /** The root span's name, or the earliest span's when the root has not arrived. */
  rootName: string
  rootService: string
  /** False while no span of the trace is without a parent in it. */
  hasRoot: boolean
  services: string[]
  spanCount: number
  logCount: number
  errorCount: number
  startMs: number
  durationMs: number
  /** When the viewer last received a span or log of it. */
  updatedMs: number
}

/** A trace page's data: the spans in order of start, the logs, and traces that link to this one. */
export interface TraceDetail {
  summary: TraceSummary
  spans: Span[]
  logs: LogRecord[]
  /** Spans of other traces (a queue consumer's, say) that link to a span of this one. */
  linkedFrom: Array<{ traceId: string; spanId: string; name: string; service: string; toSpanId: string }>
  /** Spans or logs left out because the trace reached the viewer's per-trace caps. */
  truncated: { spans: number; logs: number }
}
