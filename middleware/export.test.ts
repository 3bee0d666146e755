import { afterEach, describe, expect, it } from 'vitest'
import { type Receiver, startReceiver } from '../infra/receiver/server.ts'
import { ExportError, OtlpHttpTransport, encodeTraces } from './export.ts'
import { EdgeTracerProvider, type FinishedSpan } from './tracer.ts'

let receiver: Receiver | undefined
afterEach(async () => {
  await receiver?.close()
  receiver = undefined
})

function oneSpan(): FinishedSpan[] {
  const spans: FinishedSpan[] = []
  new EdgeTracerProvider((s) => spans.push(s)).getTracer('t').startSpan('s').end()
  return spans
}

describe('OtlpHttpTransport', () => {
  it('POSTs to the signal URL with the configured headers, content type and a User-Agent', async () => {
    receiver = await startReceiver()
    const transport = new OtlpHttpTransport({ traces: { url: `${receiver.url}/v1/traces`, headers: { 'x-api-key': 'k' } } }, fetch)
    await transport.send(encodeTraces('http/protobuf', { 'service.name': 's' }, oneSpan()))
    expect(receiver.spans).toHaveLength(1)
    expect(receiver.requests[0].headers).toMatchObject({ 'x-api-key': 'k', 'content-type': 'application/x-protobuf' })
    expect(receiver.requests[0].headers['user-agent']).toMatch(/^edge-otel\//)
  })

  it('rejects with the status when the receiver refuses', async () => {
    receiver = await startReceiver({ respond: () => 503 })
    const transport = new OtlpHttpTransport({ traces: { url: `${receiver.url}/v1/traces`, headers: {} } }, fetch)
    const error = await transport.send(encodeTraces('http/json', {}, oneSpan())).catch((e) => e)
    expect(error).toBeInstanceOf(ExportError)
    expect(error.status).toBe(503)
  })

  it('skips a signal with no URL', async () => {
    let calls = 0
    const transport = new OtlpHttpTransport({}, (async () => (calls++, new Response())) as typeof fetch)
    await transport.send(encodeTraces('http/protobuf', {}, oneSpan()))
    expect(calls).toBe(0)
  })
})
