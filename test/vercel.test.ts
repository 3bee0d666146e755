// Vercel Edge, imitated under Node with the shapes Vercel publishes: `AsyncLocalStorage` as a global,
// no `CompressionStream`, `EdgeRuntime` as the string 'edge-runtime', and the request context that
// `@vercel/functions` reads (`globalThis[Symbol.for('@vercel/request-context')].get()`, with
// `waitUntil`), served per request by the platform. The handler is hono/vercel's `handle(app)`.
import { AsyncLocalStorage } from 'node:async_hooks'
import { randomBytes } from 'node:crypto'
import { Hono } from 'hono'
import { handle } from 'hono/vercel'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Receiver, startReceiver } from '../middleware/testing/receiver.ts'

const hex = (bytes: number) => randomBytes(bytes).toString('hex')

interface RequestContext {
  waitUntil(promise: Promise<unknown>): void
  headers: Record<string, string>
}

const requests = new AsyncLocalStorage<RequestContext>()
const globals = globalThis as Record<PropertyKey, unknown>
const saved = { CompressionStream: globals.CompressionStream }
let receiver: Receiver
let library: typeof import('../middleware/index.ts')
let constructed = 0

beforeAll(async () => {
  receiver = await startReceiver()
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url
  // Counts the context managers made from the global, to show the library took it.
  globals.AsyncLocalStorage = class extends AsyncLocalStorage<unknown> {
    constructor() {
      super()
      constructed++
    }
  }
  globals.EdgeRuntime = 'edge-runtime'
  delete globals.CompressionStream
  globals[Symbol.for('@vercel/request-context')] = { get: () => requests.getStore() }
  library = await import('../middleware/index.ts')
})

afterAll(async () => {
  delete globals.AsyncLocalStorage
  delete globals.EdgeRuntime
  delete globals[Symbol.for('@vercel/request-context')]
  globals.CompressionStream = saved.CompressionStream
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT
  await receiver.close()
})

/** What Vercel does per invocation: runs the handler in a request context and waits for what it was handed. */
async function invoke(handler: (req: Request) => Response | Promise<Response>, request: Request) {
  const handed: Promise<unknown>[] = []
  const response = await requests.run({ waitUntil: (p) => void handed.push(p), headers: {} }, () => handler(request))
  return { response, handed }
}

describe('on Vercel Edge (hono/vercel, imitated under Node)', () => {
  it('hands the export to the request context’s waitUntil, exports uncompressed, and keeps context in the global AsyncLocalStorage', async () => {
    expect(constructed).toBe(1)
    const app = new Hono()
    app.use(library.otelAnywhere({ serviceName: 'storefront' }))
    app.get('/products/:id', async (c) => {
      await new Promise((r) => setTimeout(r, 5))
      return c.text(`product ${c.req.param('id')}`)
    })
    const handler = handle(app)
    const traceId = hex(16)
    const { response, handed } = await invoke(handler, new Request('https://shop.example/products/3', { headers: { traceparent: `00-${traceId}-${hex(8)}-01` } }))
    expect(await response.text()).toBe('product 3')
    expect(handed).toHaveLength(1)
    expect(receiver.spans.find((s) => s.traceId === traceId)).toBeUndefined()
    await Promise.all(handed)
    const span = receiver.spans.find((s) => s.traceId === traceId)
    expect(span?.name).toBe('GET /products/:id')
    expect(span?.resource['process.runtime.name']).toBe('nodejs')
    expect(receiver.requests.length).toBeGreaterThan(0)
    expect(receiver.requests.every((r) => r.headers['content-encoding'] === undefined)).toBe(true)
  })
})
