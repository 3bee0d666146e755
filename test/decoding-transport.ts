// For unit tests in Node: a Transport that decodes what the library sends with the independent
// protobufjs decoder, and an ExecutionContext whose waitUntil promises the test can await.
import { gunzipSync } from 'node:zlib'
import { type ReceivedLog, type ReceivedMetric, type ReceivedSpan, decodeRequest, logsOf, metricsOf, spansOf } from '../middleware/testing/decode.ts'
import type { OtlpPayload, Transport } from '../middleware/exporter/export.ts'

export class DecodingTransport implements Transport {
  spans: ReceivedSpan[] = []
  metrics: ReceivedMetric[] = []
  logs: ReceivedLog[] = []
  async send(p: OtlpPayload) {
    const raw = typeof p.body === 'string' ? new TextEncoder().encode(p.body) : p.body
    // A payload replayed from the spill queue is still gzip-compressed, as it goes on the wire.
    const body = p.contentEncoding === 'gzip' ? new Uint8Array(gunzipSync(raw)) : raw
    const decoded = decodeRequest(p.signal, p.contentType, body)
    if (p.signal === 'traces') this.spans.push(...spansOf(decoded))
    else if (p.signal === 'metrics') this.metrics.push(...metricsOf(decoded))
    else this.logs.push(...logsOf(decoded))
  }

  /** The points of one metric, over every export so far. */
  points(name: string) {
    return this.metrics.filter((m) => m.name === name).flatMap((m) => m.points)
  }
}

export function executionContext() {
  const pending: Promise<unknown>[] = []
  return {
    pending,
    ctx: { waitUntil: (p: Promise<unknown>) => void pending.push(p), passThroughOnException() {}, props: {} } as unknown as ExecutionContext,
  }
}
