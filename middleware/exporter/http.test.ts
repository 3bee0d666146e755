import { afterEach, describe, expect, it } from 'vitest'
import { type Receiver, startReceiver } from '../testing/receiver.ts'
import { ExportError, encodeTraces } from './export.ts'
import { OtlpHttpTransport, RETRYABLE_STATUSES, backoff, parseRetryAfter, readPartialSuccessProto } from './http.ts'
import { otlpJson, readPartialSuccessJson } from './json/encode.ts'
import { useJsonEncoding } from './export.ts'

useJsonEncoding(otlpJson)
import { EdgeTracerProvider, type FinishedSpan } from '../sdk/trace/tracer.ts'

let receiver: Receiver | undefined
afterEach(async () => {
  await receiver?.close()
  receiver = undefined
})

function spans(n = 1): FinishedSpan[] {
  const out: FinishedSpan[] = []
  const tracer = new EdgeTracerProvider((s) => out.push(s)).getTracer('t')
  for (let i = 0; i < n; i++) tracer.startSpan(`s${i}`).end()
  return out
}

const FAST = { deadline: 2_000, initialBackoff: 10, maxBackoff: 40 }

function transport(url: string, options: { gzip?: boolean; timeout?: number; policy?: typeof FAST; fetchFn?: typeof fetch } = {}) {
  return new OtlpHttpTransport(
    { traces: { url: `${url}/v1/traces`, headers: { 'x-api-key': 'k' }, timeout: options.timeout ?? 1_000, gzip: options.gzip ?? false } },
    options.fetchFn ?? fetch,
    options.policy ?? FAST,
  )
}

describe('OtlpHttpTransport', () => {
  it('POSTs to the signal URL with the configured headers, content type and a User-Agent', async () => {
    receiver = await startReceiver()
    await transport(receiver.url).send(encodeTraces('http/protobuf', { 'service.name': 's' }, spans()))
    expect(receiver.spans).toHaveLength(1)
    expect(receiver.requests[0].headers).toMatchObject({ 'x-api-key': 'k', 'content-type': 'application/x-protobuf' })
    expect(receiver.requests[0].headers['user-agent']).toMatch(/^edge-otel\/\d+\.\d+\.\d+$/)
  })

  it('retries 503 and 429, honouring Retry-After, and delivers once', async () => {
    let n = 0
    receiver = await startReceiver({
      respond: () => [{ status: 503, headers: { 'retry-after': '0' } }, { status: 429 }, { status: 200 }][Math.min(n++, 2)],
    })
    await transport(receiver.url).send(encodeTraces('http/protobuf', {}, spans(3)))
    expect(n).toBe(3)
    expect(receiver.spans).toHaveLength(3)
  })

  it.each([400, 401, 403, 404, 413, 500, 501])('does not retry HTTP %i', async (status) => {
    let n = 0
    receiver = await startReceiver({ respond: () => (n++, status) })
    const error = await transport(receiver.url).send(encodeTraces('http/protobuf', {}, spans())).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ExportError)
    expect((error as ExportError).type).toBe(String(status))
    expect(n).toBe(1)
  })

  it('retries network failures until the deadline, then fails with the error name', async () => {
    let calls = 0
    const failing = (async () => {
      calls++
      throw new TypeError('fetch failed')
    }) as typeof fetch
    const error = await transport('http://127.0.0.1:9', { fetchFn: failing, policy: { deadline: 150, initialBackoff: 10, maxBackoff: 20 } })
      .send(encodeTraces('http/protobuf', {}, spans()))
      .catch((e: unknown) => e)
    expect((error as ExportError).type).toBe('TypeError')
    expect(calls).toBeGreaterThan(1)
  })

  it('gives up on an attempt after the timeout and retries it', async () => {
    let n = 0
    receiver = await startReceiver({
      respond: async () => {
        if (n++ === 0) await new Promise((r) => setTimeout(r, 500))
        return 200
      },
    })
    await transport(receiver.url, { timeout: 100 }).send(encodeTraces('http/protobuf', {}, spans()))
    expect(n).toBe(2)
  })

  it('compresses with gzip when asked', async () => {
    receiver = await startReceiver()
    const payload = encodeTraces('http/protobuf', { 'service.name': 'x'.repeat(500) }, spans(20))
    await transport(receiver.url, { gzip: true }).send(payload)
    expect(receiver.requests[0].headers['content-encoding']).toBe('gzip')
    expect(receiver.requests[0].wireBytes).toBeLessThan((payload.body as Uint8Array).length)
    expect(receiver.spans).toHaveLength(20)
  })

  it('reports a partial success from a protobuf answer, without retrying', async () => {
    // ExportTraceServiceResponse { partial_success: { rejected_spans: 2, error_message: "too old" } }
    const body = new Uint8Array([0x0a, 0x0b, 0x08, 0x02, 0x12, 0x07, ...new TextEncoder().encode('too old')])
    let n = 0
    receiver = await startReceiver({ respond: () => (n++, { status: 200, body }) })
    const result = await transport(receiver.url).send(encodeTraces('http/protobuf', {}, spans(3)))
    expect(result).toEqual({ rejected: 2, message: 'too old' })
    expect(n).toBe(1)
  })

  it('reports a partial success from a JSON answer', async () => {
    receiver = await startReceiver({ respond: () => ({ status: 200, body: '{"partialSuccess":{"rejectedSpans":"1","errorMessage":"bad"}}' }) })
    const result = await transport(receiver.url).send(encodeTraces('http/json', {}, spans(2)))
    expect(result).toEqual({ rejected: 1, message: 'bad' })
  })
})

describe('retry rules', () => {
  it('retries exactly the statuses the OTLP/HTTP spec names', () => {
    expect([...RETRYABLE_STATUSES].sort()).toEqual([429, 502, 503, 504])
  })

  it('reads Retry-After as seconds or an HTTP-date', () => {
    const now = Date.parse('Sun, 22 Nov 2026 00:00:00 GMT')
    expect(parseRetryAfter('3', now)).toBe(3000)
    expect(parseRetryAfter('Sun, 22 Nov 2026 00:00:05 GMT', now)).toBe(5000)
    expect(parseRetryAfter('Sat, 21 Nov 2026 00:00:05 GMT', now)).toBe(0)
    expect(parseRetryAfter('soon', now)).toBeUndefined()
    expect(parseRetryAfter(null, now)).toBeUndefined()
  })

  it('backs off exponentially with jitter, capped', () => {
    const policy = { deadline: 10_000, initialBackoff: 100, maxBackoff: 1_000 }
    expect(backoff(1, policy, () => 0)).toBe(50)
    expect(backoff(1, policy, () => 1)).toBe(100)
    expect(backoff(3, policy, () => 1)).toBe(400)
    expect(backoff(10, policy, () => 1)).toBe(1_000)
  })

  it('reads nothing from an empty or unrelated answer', () => {
    expect(readPartialSuccessProto(new Uint8Array())).toEqual({})
    expect(readPartialSuccessJson('{}')).toEqual({})
    expect(readPartialSuccessJson('not json')).toEqual({})
  })
})
