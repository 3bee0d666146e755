import type { Attributes } from '@opentelemetry/api'
import type { CollectedScope } from '../sdk/metrics/metrics.ts'
import { encodeMetricsProto, encodeTracesProto } from './proto/encode.ts'
import type { FinishedSpan } from '../sdk/trace/tracer.ts'

/** How OTLP/HTTP bodies are encoded (`OTEL_EXPORTER_OTLP_PROTOCOL`). */
export type OtlpProtocol = 'http/protobuf' | 'http/json'

/** The signals the library exports. */
export type Signal = 'traces' | 'metrics' | 'logs'
export const SIGNALS: readonly Signal[] = ['traces', 'metrics', 'logs']

/** One encoded OTLP request, ready for any transport. */
export interface OtlpPayload {
  signal: Signal
  contentType: string
  body: Uint8Array | string
  /** Spans or data points in the payload, for reporting. */
  items: number
  /** Set when `body` is already gzip-compressed (a payload replayed from the spill queue). */
  contentEncoding?: 'gzip'
}

/** What the receiver said about a payload it accepted. */
export interface SendResult {
  /** Items the receiver rejected in a partial success; they are not retried. */
  rejected?: number
  /** The receiver's message about the rejected items. */
  message?: string
}

/** What one flush took: the buffered spans it exports and the metrics it collected. */
export interface Flushed {
  spans: readonly FinishedSpan[]
  scopes: readonly CollectedScope[]
}

/**
 * Makes one more payload for a flush (logs, handed-back spans, an SDK exporter's batch), or nothing;
 * `signals` are those exported, `flushed` what the flush took.
 */
export type PayloadSource = (signals: Partial<Record<Signal, unknown>>, resource: Attributes, flushed: Flushed) => OtlpPayload | undefined

/** Sends one encoded payload. Resolves when the receiver accepted it; rejects with the reason otherwise. */
export interface Transport {
  send(payload: OtlpPayload): Promise<SendResult | void>
}

/** OTLP/JSON, which a worker opts into (`otel({ encodings: [otlpJson] })`) so that others don't carry it. */
export interface JsonEncoding {
  /** @internal */
  traces(resource: Attributes, spans: FinishedSpan[]): string
  /** @internal */
  metrics(resource: Attributes, scopes: CollectedScope[]): string
  /** @internal */
  partialSuccess(text: string): SendResult
}

let json: JsonEncoding | undefined

export function useJsonEncoding(encoding: JsonEncoding): void {
  json = encoding
}

export const jsonEncoding = (): JsonEncoding | undefined => json

/** A payload of an encoded body: OTLP/JSON if it is text, protobuf if it is bytes. */
export const payload = (signal: Signal, body: Uint8Array | string, items: number): OtlpPayload => ({
  signal,
  contentType: typeof body === 'string' ? 'application/json' : 'application/x-protobuf',
  body,
  items,
})

export function encodeTraces(protocol: OtlpProtocol, resource: Attributes, spans: FinishedSpan[]): OtlpPayload {
  const body = protocol === 'http/json' && json ? json.traces(resource, spans) : encodeTracesProto(resource, spans)
  return payload('traces', body, spans.length)
}

export function encodeMetrics(protocol: OtlpProtocol, resource: Attributes, scopes: CollectedScope[]): OtlpPayload {
  const body = protocol === 'http/json' && json ? json.metrics(resource, scopes) : encodeMetricsProto(resource, scopes)
  let items = 0
  for (const s of scopes) for (const m of s.metrics) items += m.points.length
  return payload('metrics', body, items)
}

export class ExportError extends Error {
  /** The HTTP status of the last attempt, when there was an answer. */
  readonly status: number | undefined
  /** `error.type` for self-observability: the status, or the network error's name. */
  readonly type: string
  /** The collector was unavailable (retryable failures ran out), so the batch may be kept for later. */
  readonly retryable: boolean

  constructor(message: string, status?: number, type?: string, retryable = false) {
    super(message)
    this.name = 'ExportError'
    this.status = status
    this.type = status !== undefined ? String(status) : (type ?? '_OTHER')
    this.retryable = retryable
  }
}
