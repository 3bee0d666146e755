// The viewer's HTTP side over real sockets: OTLP in (protobuf, JSON, gzip), pages and JSON out, the
// event stream, the bound on traces, and requests meant to break it.
import { gzipSync } from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import { TYPES } from '../middleware/testing/decode.ts'
import { type Viewer, type ViewerOptions, startViewer } from '../infra/viewer/viewer.ts'

let viewer: Viewer | undefined
const warnings: string[] = []

afterEach(async () => {
  await viewer?.close()
  viewer = undefined
  warnings.length = 0
})

async function start(options: ViewerOptions = {}): Promise<Viewer> {
  viewer = await startViewer({ port: 0, onWarning: (w) => warnings.push(w), ...options })
  return viewer
}

const traceId = (n: number) => n.toString(16).padStart(32, 'a')

/** An ExportTraceServiceRequest with one span per trace id, encoded with the official schema. */
function protobufExport(traceIds: string[], attributes: Array<{ key: string; value: { stringValue: string } }> = []): Uint8Array {
  const now = BigInt(Date.now()) * 1_000_000n
  const type = TYPES.traces
  return type
    .encode(
      type.fromObject({
        resourceSpans: [
          {
            resource: { attributes: [{ key: 'service.name', value: { stringValue: 'checkout' } }] },
            scopeSpans: [
              {
                spans: traceIds.map((id) => ({
                  traceId: Buffer.from(id, 'hex'),
                  spanId: Buffer.from('00f067aa0ba902b7', 'hex'),
                  name: 'GET /cart',
                  kind: 2,
                  startTimeUnixNano: String(now),
                  endTimeUnixNano: String(now + 3_000_000n),
                  attributes,
                })),
              },
            ],
          },
        ],
      }),
    )
    .finish()
}

function post(v: Viewer, body: Uint8Array | string, headers: Record<string, string> = { 'content-type': 'application/x-protobuf' }, signal = 'traces') {
  return fetch(`${v.url}/v1/${signal}`, { method: 'POST', headers, body })
}

describe('the viewer over HTTP', () => {
  it('takes protobuf, gzip and JSON exports and serves them as JSON', async () => {
    const v = await start()
    expect((await post(v, protobufExport([traceId(1)]))).status).toBe(200)
    expect((await post(v, gzipSync(protobufExport([traceId(2)])), { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' })).status).toBe(200)
    const json = { resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: traceId(3), spanId: '00f067aa0ba902b7', name: 'json', startTimeUnixNano: '1', endTimeUnixNano: '2' }] }] }] }
    expect((await post(v, JSON.stringify(json), { 'content-type': 'application/json' })).status).toBe(200)

    const list = (await (await fetch(`${v.url}/api/traces`)).json()) as { traces: Array<{ traceId: string; rootName: string; services: string[] }>; services: string[] }
    expect(list.traces.map((t) => t.traceId).sort()).toEqual([traceId(1), traceId(2), traceId(3)])
    expect(list.services).toEqual(['checkout', 'unknown_service'])
    const detail = (await (await fetch(`${v.url}/api/traces/${traceId(1)}`)).json()) as { spans: Array<{ startMs: number; endMs: number }> }
    expect(detail.spans[0].endMs - detail.spans[0].startMs).toBe(3)
  })

  it('serves the pages with a policy that runs only its own scripts, and refuses other hosts', async () => {
    const v = await start()
    for (const path of ['/', `/traces/${traceId(1)}`, '/metrics']) {
      const page = await fetch(`${v.url}${path}`)
      expect(page.status).toBe(200)
      expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8')
      expect(page.headers.get('content-security-policy')).toContain("script-src 'self'")
      expect(await page.text()).toContain('<script type="module" src="/assets/app.js"></script>')
    }
    expect((await fetch(`${v.url}/assets/app.js`)).headers.get('content-type')).toBe('text/javascript; charset=utf-8')
    for (const path of ['/traces/xyz', '/assets/../viewer.ts', '/assets/nope.js', '/v1/traces']) expect((await fetch(`${v.url}${path}`)).status).toBe(404)
    const missing = await fetch(`${v.url}/api/traces/${traceId(7)}`)
    expect(missing.status).toBe(404)
    expect(await missing.json()).toEqual({ error: `trace ${traceId(7)} is not here: not received, or dropped to keep the last 1000` })

    // A page of another site whose name resolves to 127.0.0.1 (DNS rebinding) must not read the traces.
    const { request } = await import('node:http')
    const status = await new Promise<number>((resolve, reject) => {
      request(`${v.url}/api/traces`, { headers: { host: 'evil.example:4318' } }, (res) => resolve(res.statusCode!)).on('error', reject).end()
    })
    expect(status).toBe(403)
  })

  it('tells open pages of each trace as it arrives, over server-sent events', async () => {
    const v = await start()
    const controller = new AbortController()
    const events = await fetch(`${v.url}/api/events`, { signal: controller.signal })
    expect(events.headers.get('content-type')).toBe('text/event-stream; charset=utf-8')
    const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader()
    await post(v, protobufExport([traceId(4)]))
    let text = ''
    while (!text.includes('event: trace\n')) text += (await reader.read()).value
    while (!text.includes('\n\n', text.indexOf('event: trace\n'))) text += (await reader.read()).value
    const data = JSON.parse(text.slice(text.indexOf('event: trace\n')).split('\n')[1].replace(/^data: /, ''))
    expect(data).toMatchObject({ summary: { traceId: traceId(4), rootName: 'GET /cart', spanCount: 1, services: ['checkout'] }, services: ['checkout'] })
    controller.abort()
  })

  it('keeps only the last maxTraces traces', async () => {
    const v = await start({ maxTraces: 5 })
    for (let n = 1; n <= 8; n++) expect((await post(v, protobufExport([traceId(n)]))).status).toBe(200)
    const list = (await (await fetch(`${v.url}/api/traces`)).json()) as { traces: Array<{ traceId: string }>; maxTraces: number }
    expect(list.maxTraces).toBe(5)
    expect(list.traces.map((t) => t.traceId).sort()).toEqual([4, 5, 6, 7, 8].map(traceId))
    expect((await fetch(`${v.url}/api/traces/${traceId(1)}`)).status).toBe(404)
  })

  it('refuses malformed and oversized exports with 400 and 413, warns once per kind, and goes on serving', async () => {
    const v = await start()
    for (const body of ['\xff\xff\xff\xff garbage', '\x0a\xff\xff\xff\xff\x0f']) expect((await post(v, body)).status).toBe(400)
    expect((await post(v, '{not json', { 'content-type': 'application/json' })).status).toBe(400)
    expect((await post(v, '{"resourceSpans": [1, "two", {"scopeSpans": {"spans": 3}}]}', { 'content-type': 'application/json' })).status).toBe(200)
    expect((await post(v, 'x', { 'content-type': 'text/plain' })).status).toBe(400)
    // 100 MB of zeros, 100 KB gzipped: refused once unzipped past the limit, not held in memory.
    const bomb = gzipSync(Buffer.alloc(100 * 1024 * 1024))
    expect(bomb.length).toBeLessThan(200 * 1024)
    expect((await post(v, bomb, { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' })).status).toBe(413)
    const bad = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ traceId: 'zz', spanId: 'zz' }, { traceId: 'yy' }] }] }] })
    expect((await post(v, bad, { 'content-type': 'application/json' })).status).toBe(200)
    expect((await post(v, bad, { 'content-type': 'application/json' })).status).toBe(200)

    expect(warnings.map((w) => w.replace(/: .*\. It takes/, ': … It takes'))).toEqual([
      '[viewer] refused a /v1/traces request (400): … It takes OTLP/HTTP protobuf or JSON, gzipped or not, up to 64 MiB; further RangeErrors are not printed',
      '[viewer] refused a /v1/traces request (400): … It takes OTLP/HTTP protobuf or JSON, gzipped or not, up to 64 MiB; further SyntaxErrors are not printed',
      '[viewer] refused a /v1/traces request (400): … It takes OTLP/HTTP protobuf or JSON, gzipped or not, up to 64 MiB; further Errors are not printed',
      '[viewer] refused a /v1/traces request (413): … It takes OTLP/HTTP protobuf or JSON, gzipped or not, up to 64 MiB; further TooLarges are not printed',
      "[viewer] left out 2 span(s) without a valid traceId (32 hex digits) and spanId (16): check the sender's OTLP encoding",
    ])
    expect(warnings[3]).toContain('TooLarge: body over 67108864 bytes after gunzip')

    expect((await post(v, protobufExport([traceId(9)]))).status).toBe(200)
    expect(v.traces.list().map((t) => t.traceId)).toEqual([traceId(9)])
    expect((await fetch(`${v.url}/`)).status).toBe(200)
  })

  it('keeps a huge attribute cut to 16 KiB, so the trace page stays small', async () => {
    const v = await start()
    const huge = `<script>${'a'.repeat(4 * 1024 * 1024)}</script>`
    expect((await post(v, protobufExport([traceId(10)], [{ key: 'payload', value: { stringValue: huge } }]))).status).toBe(200)
    const response = await fetch(`${v.url}/api/traces/${traceId(10)}`)
    const body = await response.text()
    expect(body.length).toBeLessThan(24 * 1024)
    const detail = JSON.parse(body) as { spans: Array<{ attributes: Record<string, string> }> }
    expect(detail.spans[0].attributes.payload).toBe(`${huge.slice(0, 16_384)}… [${huge.length - 16_384} more characters]`)
  })
})
