// For unit tests in Node: a Transport that decodes what the library sends with the independent
// protobufjs decoder, and an ExecutionContext whose waitUntil promises the test can await.
import { type ReceivedMetric, type ReceivedSpan, decodeRequest, metricsOf, spansOf } from '../infra/receiver/decode.ts'
import type { OtlpPayload, Transport } from '../middleware/export.ts'

export class DecodingTransport implements Transport {
  spans: ReceivedSpan[] = []
  metrics: ReceivedMetric[] = []
  async send(p: OtlpPayload) {
    const body = typeof p.body === 'string' ? new TextEncoder().encode(p.body) : p.body
    const decoded = decodeRequest(p.signal, p.contentType, body)
    if (p.signal === 'traces') this.spans.push(...spansOf(decoded))
    else if (p.signal === 'metrics') this.metrics.push(...metricsOf(decoded))
  }
}

export function executionContext() {
  const pending: Promise<unknown>[] = []
  return {
    pending,
    ctx: { waitUntil: (p: Promise<unknown>) => void pending.push(p), passThroughOnException() {}, props: {} } as unknown as ExecutionContext,
  }
}
