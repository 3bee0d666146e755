// The receiver over real HTTP on 127.0.0.1, with bodies the library's encoders made: what it keeps,
// how it answers, and what it refuses.
import { gzipSync } from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import { encodeTraces } from '../exporter/export.ts'
import { EdgeTracerProvider, type FinishedSpan } from '../sdk/trace/tracer.ts'
import { type Receiver, type ReceiverOptions, startReceiver } from './receiver.ts'

let receiver: Receiver | undefined
afterEach(async () => {
  await receiver?.close()
  receiver = undefined
})

async function start(options: ReceiverOptions = {}): Promise<Receiver> {
  receiver = await startReceiver(options)
  return receiver
}

function traceBody(...names: string[]): Uint8Array {
  const spans: FinishedSpan[] = []
  const tracer = new EdgeTracerProvider((s) => spans.push(s)).getTracer('receiver.test')
  for (const name of names) tracer.startSpan(name).end()
  return encodeTraces('http/protobuf', { 'service.name': 'orders' }, spans).body as Uint8Array
}

const post = (r: Receiver, body: Uint8Array | string, headers: Record<string, string> = {}, path = '/v1/traces') =>
  fetch(`${r.url}${path}`, { method: 'POST', body: body as BodyInit, headers: { 'content-type': 'application/x-protobuf', ...headers } })

describe('startReceiver', () => {
  it('keeps what a protobuf export holds, gzip or not, with the request as sent', async () => {
    const r = await start()
    expect(r.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
    const body = traceBody('GET /orders')
    const zipped = gzipSync(body)
    const answer = await post(r, body)
    expect([answer.status, answer.headers.get('content-type')]).toEqual([200, 'application/x-protobuf'])
    expect((await post(r, zipped, { 'content-encoding': 'gzip' })).status).toBe(200)
    expect(r.spans.map((s) => [s.name, s.resource['service.name']])).toEqual([
      ['GET /orders', 'orders'],
      ['GET /orders', 'orders'],
    ])
    expect(r.requests.map((q) => [q.signal, q.wireBytes, q.bytes])).toEqual([
      ['traces', body.length, body.length],
      ['traces', zipped.length, body.length],
    ])
    r.clear()
    expect([r.spans, r.requests, r.errors]).toEqual([[], [], []])
  })

  it('answers what `respond` decides, and keeps nothing it did not accept', async () => {
    const r = await start({ respond: () => ({ status: 429, headers: { 'retry-after': '3' }, body: '{"code":8}' }) })
    const answer = await post(r, traceBody('throttled'))
    expect([answer.status, answer.headers.get('retry-after'), await answer.text()]).toEqual([429, '3', '{"code":8}'])
    expect(r.spans).toEqual([])
    expect(r.requests).toEqual([])
  })

  it('refuses a malformed body with 400 and a body over maxBodyBytes, as sent or unzipped, with 413, and says why', async () => {
    const refused: string[] = []
    const r = await start({ maxBodyBytes: 64, onRefused: (signal, status) => void refused.push(`${signal} ${status}`) })
    const big = new TextEncoder().encode(JSON.stringify({ resourceSpans: [], padding: 'x'.repeat(500) }))
    expect((await post(r, '{not json', { 'content-type': 'application/json' })).status).toBe(400)
    expect((await post(r, big, { 'content-type': 'application/json' })).status).toBe(413)
    expect((await post(r, gzipSync(big), { 'content-type': 'application/json', 'content-encoding': 'gzip' })).status).toBe(413)
    expect(refused).toEqual(['traces 400', 'traces 413', 'traces 413'])
    expect(r.errors).toHaveLength(3)
    expect(r.errors[2]).toContain('after gunzip')
    await expect(r.waitFor(() => false, 1000)).rejects.toThrow('receiver rejected a request')
  })

  it('answers 404 to what is no export, unless `serve` answers it, and 500 when `serve` throws', async () => {
    const r = await start({
      serve: async (req, res) => {
        if (req.url === '/broken') throw new Error('page failed')
        if (req.url !== '/') return false
        res.writeHead(200, { 'content-type': 'text/plain' }).end('viewer')
        return true
      },
    })
    expect(await (await fetch(`${r.url}/`)).text()).toBe('viewer')
    expect((await fetch(`${r.url}/v1/traces`)).status).toBe(404)
    expect((await post(r, traceBody('x'), {}, '/v1/profiles')).status).toBe(404)
    const broken = await fetch(`${r.url}/broken`)
    expect([broken.status, await broken.text()]).toEqual([500, 'Error: page failed'])
  })

  it('hands each export to the callbacks and keeps nothing with retain off', async () => {
    const heard: string[] = []
    const r = await start({ retain: false, onSpans: (spans) => heard.push(...spans.map((s) => s.name)), onExport: (signal) => heard.push(signal) })
    expect((await post(r, traceBody('a', 'b'))).status).toBe(200)
    expect(heard).toEqual(['traces', 'a', 'b'])
    expect([r.spans, r.requests]).toEqual([[], []])
  })

  it('times out waitFor with what it waited for', async () => {
    const r = await start()
    await expect(r.waitFor(() => r.spans.length > 0, 50, 'a span')).rejects.toThrow('timed out after 50 ms waiting for a span')
  })
})
