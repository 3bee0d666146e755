import { trace } from '@opentelemetry/api'
import { Hono } from 'hono'
import { beforeEach, describe, expect, it, vi } from 'vitest'
import { startReceiver } from '../testing/receiver.ts'
import { DecodingTransport, executionContext } from '../../test/decoding-transport.ts'
import { captureConsole, log } from './logs.ts'
import { otel } from '../hono/otel.ts'
import { telemetry } from './telemetry.ts'

const ENV = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' }

/** The log-record counts the library reported, with their `error.type` when dropped. */
const processed = (capture: DecodingTransport) => capture.points('otel.sdk.processor.log.processed')

function app(capture: DecodingTransport) {
  const a = new Hono()
  a.use(otel({ serviceName: 'logs', transport: capture, instrumentGlobalFetch: false, batchDelay: 0 }))
  a.get('/order', (c) => {
    log.info('order placed', { 'app.order.id': 7, password: 'hunter2' })
    return c.text('ok')
  })
  a.get('/console', (c) => {
    console.warn('stock low', { sku: 'sku-fig' })
    return c.text('ok')
  })
  return a
}

async function serve(a: Hono, path: string) {
  const { ctx, pending } = executionContext()
  await a.request(path, {}, ENV, ctx)
  await Promise.all(pending)
}

beforeEach(() => telemetry.reset())

describe('log', () => {
  it('writes one JSON line with the active trace and exports the same record over OTLP', async () => {
    const lines: string[] = []
    const spy = vi.spyOn(console, 'log').mockImplementation((line: string) => void lines.push(line))
    const capture = new DecodingTransport()
    await serve(app(capture), '/order')
    spy.mockRestore()
    const server = capture.spans.find((s) => s.kind === 2)!
    const line = JSON.parse(lines.find((l) => l.includes('order placed'))!)
    expect(line).toMatchObject({ severity: 'INFO', message: 'order placed', 'app.order.id': 7, password: 'REDACTED', trace_id: server.traceId, span_id: server.spanId })
    expect(new Date(line.timestamp).getTime()).toBeGreaterThan(0)
    const [record] = capture.logs
    expect(record).toMatchObject({ severityNumber: 9, severityText: 'INFO', body: 'order placed', traceId: server.traceId, spanId: server.spanId })
    expect(record.attributes).toEqual({ 'app.order.id': 7, password: 'REDACTED' })
    expect(record.resource['service.name']).toBe('logs')
  })

  it('captures console.* during a traced request, and only then', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    captureConsole()
    const capture = new DecodingTransport()
    await serve(app(capture), '/console')
    console.warn('outside any request')
    await telemetry.flush()
    warn.mockRestore()
    const records = capture.logs
    expect(records).toHaveLength(1)
    expect(records[0]).toMatchObject({ severityNumber: 13, body: 'stock low {"sku":"sku-fig"}' })
    expect(records[0].traceId).toBe(capture.spans[0].traceId)

    // log's own line goes through the console as it is now (a spy set after capture sees it), and is exported once.
    const spy = vi.spyOn(console, 'log')
    await serve(app(capture), '/order')
    await telemetry.flush()
    const lines = spy.mock.calls.map(([line]) => String(line))
    spy.mockRestore()
    expect(lines.filter((line) => line.includes('order placed'))).toHaveLength(1)
    expect(capture.logs.filter((l) => String(l.body).includes('order placed'))).toHaveLength(1) // not its JSON line too
  })

  it('exports logs when only OTEL_EXPORTER_OTLP_LOGS_ENDPOINT is set', async () => {
    const spy = vi.spyOn(console, 'log').mockImplementation(() => {})
    const receiver = await startReceiver()
    try {
      const a = new Hono()
      a.use(otel({ instrumentGlobalFetch: false, batchDelay: 0 }))
      a.get('/', (c) => {
        log.info('only logs')
        return c.text('ok')
      })
      const pending: Promise<unknown>[] = []
      const ctx = { waitUntil: (p: Promise<unknown>) => void pending.push(p), passThroughOnException() {}, props: {} } as unknown as ExecutionContext
      await a.request('/', {}, { OTEL_EXPORTER_OTLP_LOGS_ENDPOINT: `${receiver.url}/v1/logs` }, ctx)
      await Promise.all(pending)
      expect(receiver.logs.map((l) => l.body)).toEqual(['only logs'])
      expect(receiver.spans).toHaveLength(0)
    } finally {
      spy.mockRestore()
      await receiver.close()
    }
  })

  it('keeps at most 256 records of one request, and 2048 between exports, and counts the rest as dropped', async () => {
    const spy = vi.spyOn(console, 'log').mockImplementation(() => {})
    const capture = new DecodingTransport()
    telemetry.configure(ENV, {}, capture)
    /** Logs `n` records in a trace of its own, as one request would. */
    const request = (n: number) =>
      trace.getTracer('test').startActiveSpan('request', (span) => {
        for (let i = 0; i < n; i++) log.info('line', { i })
        span.end()
      })
    // One request logging in a loop: its first 256 records are exported, the rest counted.
    request(300)
    await telemetry.flush()
    await telemetry.flush() // the drop counts made in the first flush go out with the next
    expect(capture.logs).toHaveLength(256)
    expect(processed(capture).find((p) => p.attributes['error.type'] === 'request_limit')?.value).toBe(44)
    // Nine requests of 240 before one export: the buffer takes 2048.
    capture.logs = []
    capture.metrics = []
    for (let i = 0; i < 9; i++) request(240)
    await telemetry.flush()
    await telemetry.flush()
    spy.mockRestore()
    expect(capture.logs).toHaveLength(2048)
    expect(processed(capture).find((p) => p.attributes['error.type'] === 'queue_full')?.value).toBe(9 * 240 - 2048)
    expect(processed(capture).find((p) => p.attributes['error.type'] === 'request_limit')).toBeUndefined()
  })
})
