import { trace } from '@opentelemetry/api'
import { Hono } from 'hono'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { decodeRequest, spansOf } from '../testing/decode.ts'
import { DecodingTransport, executionContext } from '../../test/decoding-transport.ts'
import { otel } from '../hono/otel.ts'
import { MAX_HELD_TRACES, tailSampling } from './tail-sampling.ts'
import { telemetry } from './telemetry.ts'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const KEY = 'k'.repeat(24)
const ENV = {
  OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1',
  OTEL_TRACES_SAMPLER: 'parentbased_always_off',
  EDGE_OTEL_TAIL_SAMPLING_KEY: KEY,
}
const unsampled = (traceId = TRACE) => ({ traceparent: `00-${traceId}-00f067aa0ba902b7-02` })

beforeEach(() => telemetry.reset())

/** A function whose requests each wait for the test to let them end, well or badly. */
function gatedApp(transport: DecodingTransport) {
  const gates = new Map<string, (outcome: 'ok' | 'fail') => void>()
  const app = new Hono()
  app.use(otel({ serviceName: 'unit', transport, instrumentGlobalFetch: false, batchDelay: 0, tailSampling: tailSampling() }))
  app.get('/wait/:name', async (c) => {
    const name = c.req.param('name')
    trace.getTracer('app').startSpan(`work of ${name}`).end()
    const outcome = await new Promise<'ok' | 'fail'>((resolve) => gates.set(name, resolve))
    if (outcome === 'fail') throw new Error(`${name} failed`)
    return c.text(name)
  })
  app.get('/never-ends', async () => {
    trace.getTracer('app').startSpan('before the hang').end()
    return new Promise<Response>(() => {})
  })
  const release = async (name: string, outcome: 'ok' | 'fail') => {
    while (!gates.has(name)) await new Promise((r) => setTimeout(r, 1))
    gates.get(name)!(outcome)
  }
  return { app, release }
}

const names = (transport: DecodingTransport) => transport.spans.map((s) => s.name).sort()

describe('tail sampling, two requests of one trace at once in one isolate', () => {
  it('decides for the whole trace when the last one ends: a late failure keeps the part that ended well', async () => {
    const transport = new DecodingTransport()
    const { app, release } = gatedApp(transport)
    const { ctx, pending } = executionContext()
    const first = app.request('/wait/first', { headers: unsampled() }, ENV, ctx)
    const second = app.request('/wait/second', { headers: unsampled() }, ENV, ctx)
    await release('first', 'ok')
    expect((await first).status).toBe(200)
    await release('second', 'fail')
    const failed = await second
    expect(failed.status).toBe(500)
    await Promise.all(pending)
    await telemetry.flush()
    expect(names(transport)).toEqual(['GET /wait/:name', 'GET /wait/:name', 'work of first', 'work of second'])
    // Kept spans carry the sampled flag, as if the head sampler had kept them.
    expect(transport.spans.every((s) => (s.flags! & 0xff) === 0x03)).toBe(true)
    expect(failed.headers.get('traceresponse')).toMatch(/-03$/)
    expect(telemetry.tail!.held.size).toBe(0)
  })

  it('drops the whole trace when both end well, and holds nothing after', async () => {
    const transport = new DecodingTransport()
    const { app, release } = gatedApp(transport)
    const { ctx, pending } = executionContext()
    const first = app.request('/wait/first', { headers: unsampled() }, ENV, ctx)
    const second = app.request('/wait/second', { headers: unsampled() }, ENV, ctx)
    await release('second', 'ok')
    await release('first', 'ok')
    await Promise.all([first, second])
    await Promise.all(pending)
    await telemetry.flush()
    expect(transport.spans).toHaveLength(0)
    expect(telemetry.tail!.held.size).toBe(0)
  })

  it('hands back, with each response, what of the trace has ended, and the failure with the last', async () => {
    const transport = new DecodingTransport()
    const { app, release } = gatedApp(transport)
    const { ctx, pending } = executionContext()
    const handBack = { ...unsampled(), 'edge-otel-hand-back': KEY }
    const first = app.request('/wait/first', { headers: handBack }, ENV, ctx)
    const second = app.request('/wait/second', { headers: handBack }, ENV, ctx)
    await release('first', 'ok')
    const firstAnswer = (await first).headers.get('edge-otel-spans')!
    await release('second', 'fail')
    const secondAnswer = (await second).headers.get('edge-otel-spans')!
    await Promise.all(pending)
    await telemetry.flush()
    const decode = (header: string) => {
      const [keep, items, data] = header.split(';')
      const spans = spansOf(decodeRequest('traces', 'application/x-protobuf', Uint8Array.from(atob(data), (c) => c.charCodeAt(0))))
      return { keep, items: Number(items), spans }
    }
    const a = decode(firstAnswer)
    const b = decode(secondAnswer)
    expect(a.keep).toBe('0')
    expect(b.keep).toBe('1')
    // Every span of the trace goes back to the caller exactly once, and none is exported here.
    expect([...a.spans, ...b.spans].map((s) => s.name).sort()).toEqual(['GET /wait/:name', 'GET /wait/:name', 'work of first', 'work of second'])
    expect(a.items + b.items).toBe(4)
    expect([...a.spans, ...b.spans].every((s) => (s.flags! & 0x01) === 0x01)).toBe(true)
    expect(transport.spans).toHaveLength(0)
    expect(telemetry.tail!.held.size).toBe(0)
  })
})

describe('tail sampling, requests that never end', () => {
  it(`holds at most ${MAX_HELD_TRACES} traces: past that the oldest is kept without waiting`, async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const transport = new DecodingTransport()
    const { app } = gatedApp(transport)
    const { ctx } = executionContext()
    const traceId = (i: number) => (i + 1).toString(16).padStart(32, '0')
    for (let i = 0; i <= MAX_HELD_TRACES; i++) void app.request('/never-ends', { headers: unsampled(traceId(i)) }, ENV, ctx)
    while (telemetry.activeRequests.size <= MAX_HELD_TRACES) await new Promise((r) => setTimeout(r, 1))
    expect(telemetry.tail!.held.size).toBe(MAX_HELD_TRACES)
    await telemetry.flush()
    expect(transport.spans.map((s) => `${s.traceId} ${s.name}`)).toEqual([`${traceId(0)} before the hang`])
    expect(warn.mock.calls.map((c) => String(c[0]))).toContain(
      `[edge-otel] more than ${MAX_HELD_TRACES} traces were held at once, so tail sampling kept what it held of that trace without waiting for its end.`,
    )
    warn.mockRestore()
  })

  it('keeps what it held of a trace whose request outlived EDGE_OTEL_REQUEST_TIMEOUT, at the next flush', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const transport = new DecodingTransport()
    const { app } = gatedApp(transport)
    const { ctx } = executionContext()
    void app.request('/never-ends', { headers: unsampled() }, { ...ENV, EDGE_OTEL_REQUEST_TIMEOUT: '20' }, ctx)
    await new Promise((r) => setTimeout(r, 5))
    await telemetry.flush()
    expect(telemetry.tail!.held.size).toBe(1)
    await new Promise((r) => setTimeout(r, 30))
    await telemetry.flush()
    expect(telemetry.tail!.held.size).toBe(0)
    expect(transport.spans.map((s) => s.name)).toEqual(['before the hang'])
    warn.mockRestore()
  })
})
