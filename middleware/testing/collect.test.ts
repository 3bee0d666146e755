// collectTelemetry in Node, around the library's real middleware in this process (in workerd, the
// example functions' tests run it the same way around their workers).
import { trace } from '@opentelemetry/api'
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { executionContext } from '../../test/decoding-transport.ts'
import { log, otel } from '../index.ts'
import { collectTelemetry } from './collect.ts'

const app = new Hono()
// No endpoint in env: the kit takes every signal all the same. The library's own flush waits a
// minute, so what a test sees is what the kit exported itself, at the request's end.
app.use(otel({ serviceName: 'kit', instrumentGlobalFetch: false, batchDelay: 60_000 }))
app.get('/items/:id', (c) => {
  trace.getActiveSpan()?.setAttribute('app.item', c.req.param('id'))
  log.info('item read', { 'app.item': c.req.param('id') })
  return c.json({ id: c.req.param('id') })
})

describe('collectTelemetry', () => {
  it("returns the request's result, spans, metric points and log records, decoded from the export", async () => {
    const telemetry = await collectTelemetry(() => app.request('/items/7'))
    expect(telemetry.result.status).toBe(200)
    expect(telemetry.spans).toEqual([expect.objectContaining({ name: 'GET /items/:id', kind: 2, attributes: expect.objectContaining({ 'app.item': '7' }) })])
    const duration = telemetry.metrics.find((m) => m.name === 'http.server.request.duration')
    expect(duration?.points).toEqual([expect.objectContaining({ count: 1, attributes: expect.objectContaining({ 'http.route': '/items/:id' }) })])
    expect(telemetry.logs).toEqual([expect.objectContaining({ body: 'item read', traceId: telemetry.spans[0].traceId, spanId: telemetry.spans[0].spanId })])
  })

  it("gives each call only what happened while it ran", async () => {
    await collectTelemetry(() => app.request('/items/1'))
    const second = await collectTelemetry(() => app.request('/items/2'))
    expect(second.spans.map((s) => s.attributes['app.item'])).toEqual(['2'])
  })

  it('does not wait for waitUntil to be awaited: it exports the request itself once the request has ended', async () => {
    // The runtime's waitUntil promises are collected here and never awaited (nor due for a minute).
    const { ctx } = executionContext()
    const telemetry = await collectTelemetry(() => app.request('/items/3', {}, {}, ctx))
    expect(telemetry.spans.map((s) => s.attributes['app.item'])).toEqual(['3'])
  })

  it('times out naming the timeout and what arrived when no invocation ends', async () => {
    const error = await collectTelemetry(() => 'no request made', { timeout: 100 }).catch((e: Error) => e)
    expect(String(error)).toMatch(/timed out after 100 ms \(the timeout option\) waiting for an invocation to end/)
    expect(String(error)).toMatch(/What arrived:\nspans:\n {2}\(no spans\)/)
  })

  it('times out on a function that never settles', async () => {
    const error = await collectTelemetry(() => new Promise(() => {}), { timeout: 50 }).catch((e: Error) => e)
    expect(String(error)).toMatch(/timed out after 50 ms \(the timeout option\) waiting for the function to settle/)
  })

  it('says what is wrong with its arguments', async () => {
    await expect(collectTelemetry('GET /' as never)).rejects.toThrow(/takes a function that makes the request/)
    await expect(collectTelemetry(() => app.request('/items/4'), { timeout: -1 })).rejects.toThrow(/timeout option is -1; give a number of ms above 0/)
  })
})

describe('collectTelemetry and a failing function', () => {
  it('rejects with what the function threw', async () => {
    await expect(collectTelemetry(() => Promise.reject(new RangeError('the test failed first')))).rejects.toThrow(RangeError)
  })
})
