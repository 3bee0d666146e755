// instrumentDurableObject in Node, on a class shaped as workerd builds a Durable Object (constructed
// with its ctx and env), exporting to a real OTLP receiver. test/platform.test.ts runs it in workerd.
import { describe, expect, it } from 'vitest'
import { telemetry } from '../runtime/telemetry.ts'
import { spansAfter, useReceiver } from '../../test/receiver-setup.ts'
import { instrumentDurableObject } from './durable-object.ts'

const PARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
const OPTIONS = { serviceName: 'ledger', instrumentGlobalFetch: false }

const receiver = useReceiver({ beforeClear: () => telemetry.reset() })

/** A Durable Object's `ctx`: its storage (a Map behind the storage API's methods) and waitUntil. */
function durableContext() {
  const data = new Map<string, unknown>()
  const pending: Promise<unknown>[] = []
  const ctx = {
    id: { toString: () => 'ledger-1' },
    storage: {
      get: async (key: string) => data.get(key),
      put: async (key: string, value: unknown) => void data.set(key, value),
    },
    waitUntil: (p: Promise<unknown>) => void pending.push(p),
  }
  return { ctx, data, pending }
}

class Ledger {
  readonly ctx: ReturnType<typeof durableContext>['ctx']
  readonly env: Record<string, unknown>
  constructor(ctx: ReturnType<typeof durableContext>['ctx'], env: Record<string, unknown>) {
    this.ctx = ctx
    this.env = env
  }
  async fetch(request: Request) {
    if (request.method === 'DELETE') throw new RangeError('closed')
    const total = ((await this.ctx.storage.get('total')) as number | undefined) ?? 0
    return new Response(String(total), { status: request.method === 'PATCH' ? 503 : 200 })
  }
  async add(amount: number) {
    const total = (((await this.ctx.storage.get('total')) as number | undefined) ?? 0) + amount
    await this.ctx.storage.put('total', total)
    return { total, self: this instanceof Ledger }
  }
  async alarm() {
    await this.ctx.storage.put('alarmed', true)
  }
  webSocketMessage(_ws: unknown, message: string) {
    return `got ${message}`
  }
}

function ledger() {
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '0', OTEL_EXPORTER_OTLP_COMPRESSION: 'none' }
  const { ctx, data, pending } = durableContext()
  const Traced = instrumentDurableObject(Ledger, OPTIONS)
  return { object: new Traced(ctx, env), data, pending, Traced }
}

describe('instrumentDurableObject', () => {
  it('keeps the class name, its methods’ results and `this`, and traces an RPC method with its storage calls', async () => {
    const { object, data, pending, Traced } = ledger()
    expect(Traced.name).toBe('Ledger')
    expect(object).toBeInstanceOf(Ledger)
    expect(await object.add(5)).toEqual({ total: 5, self: true })
    expect(data.get('total')).toBe(5)
    const spans = await spansAfter(receiver, pending, 3)
    const server = spans.find((s) => s.name === 'Ledger/add')!
    expect(server).toMatchObject({ kind: 2, attributes: expect.objectContaining({ 'rpc.method': 'Ledger/add', 'faas.trigger': 'other' }) })
    expect(spans.filter((s) => s.kind === 3).map((s) => [s.name, s.parentSpanId, s.attributes['db.namespace']])).toEqual([
      ['durable_object_storage_get', server.spanId, 'Ledger'],
      ['durable_object_storage_put', server.spanId, 'Ledger'],
    ])
    expect(spans[0].resource['service.name']).toBe('ledger')
  })

  it('traces fetch by the HTTP conventions, continuing the caller’s traceparent', async () => {
    const { object, pending } = ledger()
    const response = await object.fetch(new Request('https://ledger.internal/total', { headers: { traceparent: PARENT, 'user-agent': 'gateway/1' } }))
    expect(await response.text()).toBe('0')
    const spans = await spansAfter(receiver, pending, 2)
    const server = spans.find((s) => s.kind === 2)!
    expect(server).toMatchObject({ name: 'GET', traceId: '0af7651916cd43dd8448eb211c80319c', parentSpanId: 'b7ad6b7169203331' })
    expect(server.attributes).toMatchObject({ 'http.request.method': 'GET', 'url.path': '/total', 'http.response.status_code': 200, 'user_agent.original': 'gateway/1' })
  })

  it('traces alarm as a timer and hibernation handlers as other, each in a trace of its own', async () => {
    const { object, data, pending } = ledger()
    await object.alarm()
    expect(await object.webSocketMessage({}, 'ping')).toBe('got ping')
    expect(data.get('alarmed')).toBe(true)
    const spans = await spansAfter(receiver, pending, 3)
    const roots = spans.filter((s) => s.kind === 2)
    expect(roots.map((s) => [s.name, s.attributes['faas.trigger'], s.parentSpanId ?? ''])).toEqual([
      ['alarm Ledger', 'timer', ''],
      ['webSocketMessage Ledger', 'other', ''],
    ])
    expect(roots[0].traceId).not.toBe(roots[1].traceId)
  })

  it('adds no handler the class lacks, and leaves a ctx the class does not keep as it is', async () => {
    class Counter {
      count = 0
      constructor(_ctx: unknown, _env: unknown) {}
      async increment() {
        return ++this.count
      }
    }
    const Traced = instrumentDurableObject(Counter, OPTIONS)
    const { ctx, pending } = durableContext()
    const counter = new Traced(ctx, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '0' })
    for (const handler of ['fetch', 'alarm', 'webSocketMessage', 'webSocketClose', 'webSocketError']) expect(handler in counter).toBe(false)
    expect('ctx' in counter).toBe(false)
    expect(await counter.increment()).toBe(1)
    expect((await spansAfter(receiver, pending, 1)).map((s) => s.name)).toEqual(['Counter/increment'])
  })
})
