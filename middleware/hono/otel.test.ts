import { metrics, trace } from '@opentelemetry/api'
import { Hono } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { decodeRequest, spansOf } from '../testing/decode.ts'
import { DecodingTransport, executionContext } from '../../test/decoding-transport.ts'
import type { FinishedSpan } from '../sdk/trace/tracer.ts'
import type { OtlpPayload, Transport } from '../exporter/export.ts'
import { type OtelMiddlewareOptions, otel } from './otel.ts'
import { tailSampling } from '../runtime/tail-sampling.ts'
import { telemetry } from '../runtime/telemetry.ts'


const ENV = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' }

beforeEach(() => telemetry.reset())

function app(transport: Transport, options: OtelMiddlewareOptions = {}) {
  const a = new Hono()
  a.use(otel({ serviceName: 'unit', transport, instrumentGlobalFetch: false, ...options }))
  a.get('/users/:id', async (c) => {
    await new Promise((r) => setTimeout(r, Math.random() * 5))
    trace.getActiveSpan()?.setAttribute('app.user', c.req.param('id'))
    return c.json({ id: c.req.param('id') })
  })
  a.get('/throws', () => {
    throw new RangeError('out of range')
  })
  a.get('/http-exception', () => {
    throw new HTTPException(401, { message: 'no' })
  })
  a.get('/metric', (c) => {
    metrics.getMeter('app').createCounter('app.visits').add(1, { page: 'metric' })
    return c.text('ok')
  })
  return a
}

describe('otel() middleware', () => {
  it('exports the SERVER span and the duration metric through waitUntil after the response', async () => {
    const transport = new DecodingTransport()
    const { ctx, pending } = executionContext()
    const response = await app(transport).request('/users/42', {}, ENV, ctx)
    expect(response.status).toBe(200)
    expect(pending).toHaveLength(1)
    await Promise.all(pending)
    expect(transport.spans).toHaveLength(1)
    expect(transport.spans[0]).toMatchObject({ name: 'GET /users/:id', kind: 2 })
    expect(transport.spans[0].attributes).toMatchObject({ 'http.route': '/users/:id', 'app.user': '42', 'url.path': '/users/42' })
    const duration = transport.metrics.find((m) => m.name === 'http.server.request.duration')!
    expect(duration.points[0].attributes).toEqual({
      'http.request.method': 'GET',
      'url.scheme': 'http',
      'http.route': '/users/:id',
      'http.response.status_code': 200,
    })
  })

  it('never delays the response on a hung export, nor fails it on a failing one', async () => {
    const hung: Transport = { send: () => new Promise(() => {}) }
    const { ctx, pending } = executionContext()
    const response = await app(hung).request('/users/1', {}, ENV, ctx)
    expect(response.status).toBe(200)
    expect(pending).toHaveLength(1)

    telemetry.reset()
    const failing: Transport = {
      send: () => {
        throw new Error('synchronous transport bug')
      },
    }
    const second = executionContext()
    const ok = await app(failing).request('/users/2', {}, ENV, second.ctx)
    expect(ok.status).toBe(200)
    await expect(Promise.all(second.pending)).resolves.toBeDefined()
  })

  it('records a thrown error: status 500, ERROR, exception event and error.type', async () => {
    const transport = new DecodingTransport()
    const { ctx, pending } = executionContext()
    const response = await app(transport).request('/throws', {}, ENV, ctx)
    expect(response.status).toBe(500)
    await Promise.all(pending)
    const [span] = transport.spans
    expect(span.status.code).toBe(2)
    expect(span.attributes).toMatchObject({ 'error.type': 'RangeError', 'http.response.status_code': 500 })
    expect(span.events[0]).toMatchObject({ name: 'exception', attributes: { 'exception.type': 'RangeError', 'exception.message': 'out of range' } })
    const point = transport.metrics.find((m) => m.name === 'http.server.request.duration')!.points[0]
    expect(point.attributes['error.type']).toBe('RangeError')
  })

  it('leaves a 4xx unset', async () => {
    const transport = new DecodingTransport()
    const { ctx, pending } = executionContext()
    expect((await app(transport).request('/http-exception', {}, ENV, ctx)).status).toBe(401)
    await Promise.all(pending)
    expect(transport.spans[0].status.code ?? 0).toBe(0)
  })

  it('names unknown methods _OTHER with the original kept', async () => {
    const transport = new DecodingTransport()
    const { ctx, pending } = executionContext()
    await app(transport).request('/users/1', { method: 'PURGE' }, ENV, ctx)
    await Promise.all(pending)
    expect(transport.spans[0].name).toBe('HTTP')
    expect(transport.spans[0].attributes).toMatchObject({ 'http.request.method': '_OTHER', 'http.request.method_original': 'PURGE' })
  })

  it('knows methods case-sensitively: a lowercase patch is _OTHER, with the original kept', async () => {
    const transport = new DecodingTransport()
    const { ctx, pending } = executionContext()
    await app(transport).request('/users/1', { method: 'patch' }, ENV, ctx)
    await Promise.all(pending)
    expect(transport.spans[0].name).toBe('HTTP')
    expect(transport.spans[0].attributes).toMatchObject({ 'http.request.method': '_OTHER', 'http.request.method_original': 'patch' })
  })

  it('gives a 5xx HTTPException its status code as error.type', async () => {
    const transport = new DecodingTransport()
    const a = app(transport)
    a.get('/unavailable', () => {
      throw new HTTPException(503, { message: 'down for maintenance' })
    })
    const { ctx, pending } = executionContext()
    expect((await a.request('/unavailable', {}, ENV, ctx)).status).toBe(503)
    await Promise.all(pending)
    expect(transport.spans[0].status.code).toBe(2)
    expect(transport.spans[0].attributes['error.type']).toBe('503')
    const point = transport.points('http.server.request.duration')[0]
    expect(point.attributes).toMatchObject({ 'error.type': '503', 'http.response.status_code': 503 })
  })

  it('records network.protocol.version from workerd\'s request.cf and client.address only when asked, and leaves request.cf unread otherwise', async () => {
    let cfReads = 0
    const request = (headers: Record<string, string>) => {
      const r = new Request('http://example.com/users/1', { headers })
      Object.defineProperty(r, 'cf', { get: () => (cfReads++, { httpProtocol: 'HTTP/2' }) })
      return r
    }
    const headers = { 'cf-connecting-ip': '203.0.113.7', 'x-forwarded-for': '198.51.100.1, 10.0.0.1' }
    const off = new DecodingTransport()
    let run = executionContext()
    await app(off).fetch(request(headers), ENV, run.ctx)
    await Promise.all(run.pending)
    expect(off.spans[0].attributes).not.toHaveProperty('network.protocol.version')
    expect(off.spans[0].attributes).not.toHaveProperty('client.address')
    // workerd parses the whole cf object on its first read: an unasked-for read costs every request.
    expect(cfReads).toBe(0)

    telemetry.reset()
    const byOption = new DecodingTransport()
    run = executionContext()
    await app(byOption, { recordClientAddress: true, recordProtocolVersion: true }).fetch(request(headers), ENV, run.ctx)
    await Promise.all(run.pending)
    expect(byOption.spans[0].attributes['client.address']).toBe('203.0.113.7')
    expect(byOption.spans[0].attributes['network.protocol.version']).toBe('2')

    telemetry.reset()
    const byEnv = new DecodingTransport()
    run = executionContext()
    await app(byEnv).fetch(request({ 'x-forwarded-for': '198.51.100.1, 10.0.0.1' }), { ...ENV, EDGE_OTEL_RECORD_CLIENT_ADDRESS: 'true', EDGE_OTEL_RECORD_PROTOCOL_VERSION: 'true' }, run.ctx)
    await Promise.all(run.pending)
    expect(byEnv.spans[0].attributes['client.address']).toBe('198.51.100.1')
    expect(byEnv.spans[0].attributes['network.protocol.version']).toBe('2')
  })

  it('exports user metrics recorded through @opentelemetry/api in the same flush', async () => {
    const transport = new DecodingTransport()
    const { ctx, pending } = executionContext()
    await app(transport).request('/metric', {}, ENV, ctx)
    await Promise.all(pending)
    const visits = transport.metrics.find((m) => m.name === 'app.visits')!
    expect(visits.points[0]).toMatchObject({ value: 1, attributes: { page: 'metric' } })
  })

  it('keeps 50 concurrent requests apart: each span carries its own request', async () => {
    const transport = new DecodingTransport()
    const a = app(transport)
    const runs = Array.from({ length: 50 }, (_, i) => {
      const { ctx, pending } = executionContext()
      return Promise.resolve(a.request(`/users/${i}`, {}, ENV, ctx)).then(() => Promise.all(pending))
    })
    await Promise.all(runs)
    expect(transport.spans).toHaveLength(50)
    for (const span of transport.spans) expect(span.attributes['url.path']).toBe(`/users/${span.attributes['app.user']}`)
    const count = transport.metrics
      .filter((m) => m.name === 'http.server.request.duration')
      .flatMap((m) => m.points)
      .reduce((n, p) => n + p.count!, 0)
    expect(count).toBe(50)
  })

  it('coalesces requests that end close together into one export per signal', async () => {
    const sends: OtlpPayload[] = []
    const transport = new DecodingTransport()
    const counting: Transport = { send: (p) => (sends.push(p), transport.send(p)) }
    const a = app(counting)
    const contexts = Array.from({ length: 20 }, () => executionContext())
    await Promise.all(contexts.map(({ ctx }, i) => a.request(`/users/${i}`, {}, ENV, ctx)))
    const owners = contexts.filter((c) => c.pending.length > 0)
    expect(owners).toHaveLength(1)
    await Promise.all(owners[0].pending)
    expect(sends.map((p) => p.signal).sort()).toEqual(['metrics', 'traces'])
    expect(transport.spans).toHaveLength(20)
  })

  it('exports a full buffer at once, from the request that filled it', async () => {
    const transport = new DecodingTransport()
    const a = new Hono()
    a.use(otel({ transport, instrumentGlobalFetch: false }))
    a.get('/', (c) => c.text('ok'))
    const first = executionContext()
    await a.request('/', {}, { ...ENV, OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '2', OTEL_BSP_SCHEDULE_DELAY: '60000' }, first.ctx)
    const second = executionContext()
    await a.request('/', {}, ENV, second.ctx)
    expect(second.pending).toHaveLength(1)
    await Promise.all(second.pending)
    expect(transport.spans).toHaveLength(2)
  })

  it('exports protobuf, and says how to fix it, when http/json is asked for without the JSON encoder', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const sent: OtlpPayload[] = []
    const a = new Hono()
    a.use(otel({ transport: { send: async (p) => void sent.push(p) }, instrumentGlobalFetch: false }))
    a.get('/', (c) => c.text('ok'))
    const { ctx, pending } = executionContext()
    await a.request('/', {}, { ...ENV, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }, ctx)
    await Promise.all(pending)
    expect(sent.map((p) => p.contentType)).toContain('application/x-protobuf')
    expect(sent.some((p) => p.contentType === 'application/json')).toBe(false)
    expect(warn.mock.calls.flat().join(' ')).toContain('otel({ encodings: [otlpJson] })')
    warn.mockRestore()
  })

  it('drops spans past OTEL_BSP_MAX_QUEUE_SIZE and counts them in otel.sdk.processor.span.processed', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {})
    const transport = new DecodingTransport()
    const a = app(transport)
    const env = { ...ENV, OTEL_BSP_MAX_QUEUE_SIZE: '2', OTEL_BSP_SCHEDULE_DELAY: '60000' }
    for (let i = 0; i < 5; i++) await a.request(`/users/${i}`, {}, env, executionContext().ctx)
    await telemetry.flush()
    expect(transport.spans).toHaveLength(2)
    const processed = transport.points('otel.sdk.processor.span.processed')
    expect(processed.find((p) => p.attributes['error.type'] === 'queue_full')?.value).toBe(3)
    expect(processed.find((p) => p.attributes['error.type'] === undefined)?.value).toBe(2)
    vi.restoreAllMocks()
  })

  it('leaves http.server.active_requests where it was when starting a request throws half-way', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    const transport = new DecodingTransport()
    const sampler = tailSampling()
    vi.spyOn(sampler, 'open').mockImplementation(() => {
      throw new Error('tail sampling broke')
    })
    const a = app(transport, { tailSampling: sampler })
    const { ctx } = executionContext()
    expect((await a.request('/users/1', {}, ENV, ctx)).status).toBe(200)
    expect(telemetry.activeRequests.size).toBe(0)
    await telemetry.flush()
    const active = transport.points('http.server.active_requests')
    expect(active.every((p) => p.value === 0)).toBe(true)
    expect(String(warn.mock.calls[0][0])).toContain('request served untraced: Error: tail sampling broke')
    warn.mockRestore()
  })

  it('serves a request without an execution context (plain app.request)', async () => {
    const response = await app(new DecodingTransport()).request('/users/3', {}, ENV)
    expect(response.status).toBe(200)
  })

  it('serves requests with no env at all', async () => {
    const response = await app(new DecodingTransport()).request('/users/4')
    expect(response.status).toBe(200)
  })
})

describe('sampling', () => {
  const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
  const callerUnsampled = { traceparent: `00-${TRACE}-00f067aa0ba902b7-02` }

  /** The unit app with tail sampling (30 ms threshold) and routes that are slow, 404 or call `callee`. */
  function sampledApp(transport: Transport, callee?: (request: Request) => Response) {
    const a = app(transport, { tailSampling: tailSampling({ slowMs: 30 }) })
    a.get('/slow', async (c) => {
      await new Promise((r) => setTimeout(r, 60))
      return c.text('slow')
    })
    a.get('/missing', (c) => c.json({ error: 'no such thing' }, 404))
    a.get('/late', (c) => {
      // A span that ends after the response, in waitUntil.
      const span = trace.getTracer('app').startSpan('write audit log')
      c.executionCtx.waitUntil(new Promise((r) => setTimeout(r, 5)).then(() => span.end()))
      if (c.req.query('fail') !== undefined) throw new Error('failed before the audit log was written')
      return c.text('ok')
    })
    a.get('/calls', async (c) => {
      const { instrumentFetch } = await import('../workers/fetch.ts')
      // ?binding: called as a service binding would be.
      const fetchCallee = instrumentFetch(async (input: RequestInfo | URL, _init?: RequestInit) => callee!(input as Request), c.req.query('binding') !== undefined)
      const response = await fetchCallee('https://callee.internal/x', { headers: { 'edge-otel-hand-back': 'forwarded by user code' } })
      if (c.req.query('fail') !== undefined) throw new Error('late failure, after the callee answered')
      // Tells the test whether handed-back spans reached user code.
      return c.text(`handed back: ${response.headers.has('edge-otel-spans')}`)
    })
    return a
  }

  /** Serves one request on a freshly configured isolate (the app's transport and env take effect). */
  async function serve(a: Hono, path: string, env: Record<string, string>, headers: Record<string, string> = {}) {
    telemetry.reset()
    const { ctx, pending } = executionContext()
    const response = await a.request(path, { headers }, { ...ENV, ...env }, ctx)
    await Promise.all(pending)
    await telemetry.flush()
    return response
  }

  it('exports nothing for a trace the head sampler drops, but still records its metrics', async () => {
    await telemetry.flush() // metrics left by earlier tests
    const transport = new DecodingTransport()
    const response = await serve(app(transport), '/users/1', { OTEL_TRACES_SAMPLER: 'always_off' })
    expect(response.status).toBe(200)
    expect(transport.spans).toHaveLength(0)
    const duration = transport.metrics.find((m) => m.name === 'http.server.request.duration')!
    expect(duration.points[0]).toMatchObject({ count: 1 })
  })

  it('follows an unsampled caller by default (parentbased_always_on)', async () => {
    const transport = new DecodingTransport()
    await serve(app(transport), '/users/1', {}, callerUnsampled)
    expect(transport.spans).toHaveLength(0)
    await serve(app(transport), '/users/1', {}, { traceparent: `00-${TRACE}-00f067aa0ba902b7-03` })
    expect(transport.spans).toHaveLength(1)
  })

  describe('tail sampling', () => {
    const TAIL = { OTEL_TRACES_SAMPLER: 'parentbased_always_off' }

    it('drops an unsampled request that went well, and holds nothing after it', async () => {
      const transport = new DecodingTransport()
      const response = await serve(sampledApp(transport), '/users/1', TAIL, callerUnsampled)
      expect(transport.spans).toHaveLength(0)
      expect(response.headers.get('traceresponse')).toBeNull()
      expect(telemetry.tail?.held.size).toBe(0)
    })

    it('keeps a failed request, and tells the caller in traceresponse', async () => {
      const transport = new DecodingTransport()
      const response = await serve(sampledApp(transport), '/throws', TAIL, callerUnsampled)
      expect(response.status).toBe(500)
      expect(transport.spans).toHaveLength(1)
      expect(transport.spans[0]).toMatchObject({ traceId: TRACE, parentSpanId: '00f067aa0ba902b7', status: { code: 2 } })
      expect(response.headers.get('traceresponse')).toBe(`00-${TRACE}-${transport.spans[0].spanId}-03`)
    })

    it('keeps neither side of a 4xx between functions: the answering one saw no error', async () => {
      const answered = new DecodingTransport()
      const response = await serve(sampledApp(answered), '/missing', TAIL, callerUnsampled)
      expect(answered.spans).toHaveLength(0)
      expect(response.headers.get('traceresponse')).toBeNull()
      const caller = new DecodingTransport()
      await serve(sampledApp(caller, () => new Response('no', { status: 404 })), '/calls', TAIL, callerUnsampled)
      expect(caller.spans).toHaveLength(0)
      const failed = new DecodingTransport()
      await serve(sampledApp(failed, () => new Response('down', { status: 503 })), '/calls', TAIL, callerUnsampled)
      expect(failed.spans.map((s) => s.kind).sort()).toEqual([2, 3])
    })

    it('is turned off by EDGE_OTEL_TAIL_SAMPLING=off, and names a bad setting', async () => {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
      const transport = new DecodingTransport()
      await serve(sampledApp(transport), '/throws', { ...TAIL, EDGE_OTEL_TAIL_SAMPLING: 'off' }, callerUnsampled)
      expect(transport.spans).toHaveLength(0)
      await serve(sampledApp(transport), '/throws', { ...TAIL, EDGE_OTEL_TAIL_SAMPLING: 'yes', EDGE_OTEL_TAIL_SAMPLING_SLOW_MS: 'soon' }, callerUnsampled)
      expect(transport.spans).toHaveLength(1)
      const messages = warn.mock.calls.map((c) => String(c[0]))
      expect(messages).toContain('[edge-otel] EDGE_OTEL_TAIL_SAMPLING="yes" is not supported; using "on". Set it to one of "on", "off".')
      expect(messages).toContain('[edge-otel] EDGE_OTEL_TAIL_SAMPLING_SLOW_MS="soon" is not a non-negative integer; using 30.')
      // Off answers no traceresponse either, even for a trace its caller sampled.
      const callerSampled = { traceparent: `00-${TRACE}-00f067aa0ba902b7-01` }
      const response = await serve(sampledApp(transport), '/users/1', { ...TAIL, EDGE_OTEL_TAIL_SAMPLING: 'off' }, callerSampled)
      expect(response.headers.get('traceresponse')).toBeNull()
      warn.mockRestore()
    })

    it('exports a span that ends after the response when its trace was kept, and only then', async () => {
      const kept = new DecodingTransport()
      await serve(sampledApp(kept), '/late?fail', TAIL, callerUnsampled)
      expect(kept.spans.map((s) => s.name).sort()).toEqual(['GET /late', 'write audit log'])
      const dropped = new DecodingTransport()
      await serve(sampledApp(dropped), '/late', TAIL, callerUnsampled)
      expect(dropped.spans).toHaveLength(0)
    })

    it('keeps a request slower than EDGE_OTEL_TAIL_SAMPLING_SLOW_MS', async () => {
      const transport = new DecodingTransport()
      const response = await serve(sampledApp(transport), '/slow', TAIL, callerUnsampled)
      expect(transport.spans.map((s) => s.name)).toEqual(['GET /slow'])
      expect(response.headers.get('traceresponse')).toMatch(/-03$/)
    })

    it('keeps its part when the function it called kept its own (traceresponse sampled)', async () => {
      const kept = new DecodingTransport()
      await serve(sampledApp(kept, () => new Response('x', { headers: { traceresponse: `00-${TRACE}-1111111111111111-03` } })), '/calls', TAIL, callerUnsampled)
      expect(kept.spans.map((s) => s.kind).sort()).toEqual([2, 3])
      const dropped = new DecodingTransport()
      await serve(sampledApp(dropped, () => new Response('x', { headers: { traceresponse: `00-${TRACE}-1111111111111111-02` } })), '/calls', TAIL, callerUnsampled)
      expect(dropped.spans).toHaveLength(0)
    })

    describe('handing spans back to the caller (EDGE_OTEL_TAIL_SAMPLING_KEY)', () => {
      const KEY = 'k'.repeat(24)
      const WITH_KEY = { ...TAIL, EDGE_OTEL_TAIL_SAMPLING_KEY: KEY }

      it('hands its spans back, with its decision, to a caller that sent the key, and exports none itself', async () => {
        const transport = new DecodingTransport()
        const response = await serve(sampledApp(transport), '/throws', WITH_KEY, { ...callerUnsampled, 'edge-otel-hand-back': KEY })
        expect(transport.spans).toHaveLength(0)
        expect(response.headers.get('traceresponse')).toBeNull()
        const [keep, items, data] = response.headers.get('edge-otel-spans')!.split(';')
        expect([keep, items]).toEqual(['1', '1'])
        const spans = spansOf(decodeRequest('traces', 'application/x-protobuf', Uint8Array.from(atob(data), (c) => c.charCodeAt(0))))
        expect(spans).toHaveLength(1)
        expect(spans[0]).toMatchObject({ traceId: TRACE, kind: 2, status: { code: 2 }, resource: { 'service.name': 'unit' } })
      })

      it('decides for itself when the key is wrong, or too short to be used', async () => {
        const transport = new DecodingTransport()
        const response = await serve(sampledApp(transport), '/throws', WITH_KEY, { ...callerUnsampled, 'edge-otel-hand-back': 'x'.repeat(24) })
        expect(response.headers.get('edge-otel-spans')).toBeNull()
        expect(transport.spans).toHaveLength(1)
        const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
        const short = await serve(sampledApp(new DecodingTransport()), '/throws', { ...TAIL, EDGE_OTEL_TAIL_SAMPLING_KEY: 'short' }, { ...callerUnsampled, 'edge-otel-hand-back': 'short' })
        expect(short.headers.get('edge-otel-spans')).toBeNull()
        expect(String(warn.mock.calls[0][0])).toContain('EDGE_OTEL_TAIL_SAMPLING_KEY is shorter than 16 characters')
        expect(String(warn.mock.calls[0][0])).not.toContain('"short"')
        warn.mockRestore()
      })

      it('keeps the header under 16 KiB: past that it decides for itself and answers in traceresponse', async () => {
        /** A request that fails after `count` spans. */
        const failsAfter = (transport: Transport, count: number) => {
          const a = sampledApp(transport)
          a.get('/many', () => {
            const tracer = trace.getTracer('many')
            for (let i = 0; i < count; i++) tracer.startSpan(`step ${i}`).end()
            throw new Error('kept because it failed')
          })
          return a
        }
        const handBack = { ...callerUnsampled, 'edge-otel-hand-back': KEY }
        const headerFor = async (count: number) =>
          (await serve(failsAfter(new DecodingTransport(), count), '/many', WITH_KEY, handBack)).headers.get('edge-otel-spans')
        // The most spans that are still handed back (a span is about 60 bytes): their header is the largest.
        let [fits, tooMany] = [1, 1000]
        while (tooMany - fits > 1) {
          const mid = (fits + tooMany) >> 1
          if (await headerFor(mid)) fits = mid
          else tooMany = mid
        }
        const largest = (await headerFor(fits))!.length
        expect(largest).toBeGreaterThan(15_500)
        expect(largest).toBeLessThan(16_384)
        const transport = new DecodingTransport()
        const response = await serve(failsAfter(transport, tooMany), '/many', WITH_KEY, handBack)
        expect(response.headers.get('edge-otel-spans')).toBeNull()
        expect(transport.spans).toHaveLength(tooMany + 1)
        expect(response.headers.get('traceresponse')).toMatch(/-03$/)
      })

      it('sends the key only through a service binding, and exports what comes back with its own decision', async () => {
        const { encodeTracesProto } = await import('../exporter/proto/encode.ts')
        const calleeSpan = { name: 'callee', kind: 1, context: { traceId: TRACE, spanId: '2222222222222222', traceFlags: 2 }, parentSpanId: undefined,
          parentIsRemote: true, scope: { name: 'callee' }, startTime: 1, endTime: 2, attributes: {}, droppedAttributes: 0, events: [], droppedEvents: 0,
          links: [], droppedLinks: 0, status: { code: 0 } } as unknown as FinishedSpan
        const bytes = encodeTracesProto({ 'service.name': 'callee' }, [calleeSpan])
        let sent: string | null = null
        const callee = (request: Request) => {
          sent = request.headers.get('edge-otel-hand-back')
          return new Response('ok', { headers: { 'edge-otel-spans': `0;1;${btoa(String.fromCharCode(...bytes))}` } })
        }
        // A late failure in the caller keeps the whole trace, the callee's handed-back part included.
        const failing = new DecodingTransport()
        const response = await serve(sampledApp(failing, callee), '/calls?binding&fail', WITH_KEY, callerUnsampled)
        expect(response.status).toBe(500)
        expect(sent).toBe(KEY)
        expect(failing.spans.map((s) => `${s.resource['service.name']}:${s.kind}`).sort()).toEqual(['callee:2', 'unit:2', 'unit:3'])
        // Nothing failed: nothing is kept, theirs neither.
        const fine = new DecodingTransport()
        expect(await (await serve(sampledApp(fine, callee), '/calls?binding', WITH_KEY, callerUnsampled)).text()).toBe('handed back: false')
        expect(fine.spans).toHaveLength(0)
        // Global fetch: the key never leaves, even when user code set the header itself, and spans
        // "handed back" by anything but a bound function are not taken.
        expect(await (await serve(sampledApp(new DecodingTransport(), callee), '/calls', WITH_KEY, callerUnsampled)).text()).toBe('handed back: true')
        expect(sent).toBeNull()
        const global = new DecodingTransport()
        await serve(sampledApp(global, callee), '/calls?fail', WITH_KEY, callerUnsampled)
        expect(global.spans.map((s) => s.resource['service.name'])).toEqual(['unit', 'unit'])
      })
    })

    it('holds at most 2048 spans of one request, and always its SERVER span', async () => {
      const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
      const transport = new DecodingTransport()
      const a = app(transport, { tailSampling: tailSampling() })
      a.get('/many', () => {
        const tracer = trace.getTracer('many')
        for (let i = 0; i < 2100; i++) tracer.startSpan(`step ${i}`).end()
        throw new Error('kept because it failed')
      })
      await serve(a, '/many', { ...TAIL, OTEL_BSP_MAX_QUEUE_SIZE: '4096' }, callerUnsampled)
      expect(transport.spans).toHaveLength(2049)
      expect(transport.spans.filter((s) => s.kind === 2)).toHaveLength(1)
      expect(String(warn.mock.calls.at(-1)?.[0])).toContain('held more than 2048 spans')
      warn.mockRestore()
    })

    it('answers with a copy when the response headers are immutable', async () => {
      const transport = new DecodingTransport()
      const a = new Hono()
      a.use(otel({ serviceName: 'unit', transport, instrumentGlobalFetch: false, tailSampling: tailSampling() }))
      a.get('/relay', async () => {
        await new Promise((r) => setTimeout(r, 5)) // slower than the 0 ms threshold, so kept
        const redirect = Response.redirect('https://example.com/moved', 302)
        expect(() => redirect.headers.set('x', '1')).toThrow()
        return redirect
      })
      const response = await serve(a, '/relay', { ...TAIL, EDGE_OTEL_TAIL_SAMPLING_SLOW_MS: '0' }, callerUnsampled)
      expect(response.status).toBe(302)
      expect(response.headers.get('location')).toBe('https://example.com/moved')
      expect(response.headers.get('traceresponse')).toMatch(/-03$/)
    })
  })
})
