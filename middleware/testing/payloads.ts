import type { OtlpPayload, Transport } from '../index.ts'
import { type ReceivedLog, type ReceivedMetric, type ReceivedSpan, decodeRequest, logsOf, metricsOf, spansOf } from './decode.ts'

/** What a request or a test run produced, decoded from what the library sent: plain objects. */
export interface Telemetry {
  spans: ReceivedSpan[]
  metrics: ReceivedMetric[]
  logs: ReceivedLog[]
}

async function gunzip(body: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([body as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('gzip'))
  return new Uint8Array(await new Response(stream).arrayBuffer())
}

/** Decodes one payload (protobuf or JSON, gzip or not) and adds what it holds to `into`. */
export async function decodePayload(payload: OtlpPayload, into: Telemetry): Promise<void> {
  const raw = typeof payload.body === 'string' ? new TextEncoder().encode(payload.body) : payload.body
  // A payload replayed from the spill queue is still gzip-compressed, as it goes on the wire.
  const body = payload.contentEncoding === 'gzip' ? await gunzip(raw) : raw
  const decoded = decodeRequest(payload.signal, payload.contentType, body)
  if (payload.signal === 'traces') into.spans.push(...spansOf(decoded))
  else if (payload.signal === 'metrics') into.metrics.push(...metricsOf(decoded))
  else into.logs.push(...logsOf(decoded))
}

/**
 * A Transport (the `transport` option of `otel()` and the other handlers) that decodes each payload
 * in place of sending it, and keeps what it held.
 * @example
 * const transport = new CapturingTransport()
 * app.use(otel({ transport }))
 * // … after a flush: transport.spans, transport.metrics, transport.logs
 */
export class CapturingTransport implements Transport, Telemetry {
  spans: ReceivedSpan[] = []
  metrics: ReceivedMetric[] = []
  logs: ReceivedLog[] = []

  async send(payload: OtlpPayload): Promise<void> {
    await decodePayload(payload, this)
  }

  /** The data points of one metric, over every payload so far. */
  points(name: string) {
    return this.metrics.filter((m) => m.name === name).flatMap((m) => m.points)
  }

  /** Forgets what arrived. */
  clear(): void {
    this.spans = []
    this.metrics = []
    this.logs = []
  }
}
