// instrumentEntrypoint in Node, on a class shaped as workerd builds a WorkerEntrypoint (constructed
// with its ctx and env), exporting to a real OTLP receiver. test/platform.test.ts runs it in workerd.
import { describe, expect, it } from 'vitest'
import { telemetry } from '../runtime/telemetry.ts'
import { spansAfter, useReceiver } from '../../test/receiver-setup.ts'
import { instrumentEntrypoint } from './entrypoint.ts'
import { RPC_CALL } from './rpc-client.ts'

const PARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'

const receiver = useReceiver({ beforeClear: () => telemetry.reset() })

class Catalog {
  readonly ctx: { waitUntil(p: Promise<unknown>): void }
  readonly env: Record<string, unknown>
  constructor(ctx: { waitUntil(p: Promise<unknown>): void }, env: Record<string, unknown>) {
    this.ctx = ctx
    this.env = env
  }
  async stock(sku: string) {
    if (sku === 'none') throw new RangeError(`no such sku`)
    return { sku, count: 3 }
  }
  async fetch(request: Request) {
    return new Response(new URL(request.url).pathname)
  }
  async scheduled() {
    return 'ran'
  }
}

function catalog() {
  const pending: Promise<unknown>[] = []
  const Traced = instrumentEntrypoint(Catalog, { serviceName: 'inventory', instrumentGlobalFetch: false })
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '0', REGION: 'eu' }
  return { entrypoint: new Traced({ waitUntil: (p) => void pending.push(p) }, env), pending, Traced }
}

describe('instrumentEntrypoint', () => {
  it('traces an RPC method as Class/method in the caller’s trace, with the class’s own result, env and name', async () => {
    const { entrypoint, pending, Traced } = catalog()
    expect(Traced.name).toBe('Catalog')
    expect(entrypoint.env.REGION).toBe('eu')
    const call = (entrypoint as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>)[RPC_CALL]
    expect(await call.call(entrypoint, { traceparent: PARENT }, 'stock', ['apple'])).toEqual({ sku: 'apple', count: 3 })
    const [span] = await spansAfter(receiver, pending, 1)
    expect(span).toMatchObject({
      name: 'Catalog/stock',
      kind: 2,
      traceId: '0af7651916cd43dd8448eb211c80319c',
      parentSpanId: 'b7ad6b7169203331',
      attributes: expect.objectContaining({ 'rpc.method': 'Catalog/stock', 'cloudflare.jsrpc.method': 'stock' }),
    })
  })

  it('rethrows a method’s error unchanged, recorded on its span', async () => {
    const { entrypoint, pending } = catalog()
    const error = await entrypoint.stock('none').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RangeError)
    expect((error as Error).message).toBe('no such sku')
    const [span] = await spansAfter(receiver, pending, 1)
    expect(span.status.code).toBe(2)
    expect(span.attributes['error.type']).toBe('RangeError')
  })

  it('traces fetch by the HTTP conventions, and leaves the handlers workerd calls itself untraced as RPC', async () => {
    const { entrypoint, pending } = catalog()
    expect(await (await entrypoint.fetch(new Request('https://catalog.internal/items'))).text()).toBe('/items')
    expect(await entrypoint.scheduled()).toBe('ran')
    const spans = await spansAfter(receiver, pending, 1)
    expect(spans.map((s) => [s.name, s.attributes['url.path']])).toEqual([['GET', '/items']])
  })
})
