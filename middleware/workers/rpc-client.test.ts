import { SpanKind, context, trace } from '@opentelemetry/api'
import { beforeEach, describe, expect, it } from 'vitest'
import { DecodingTransport } from '../../test/decoding-transport.ts'
import { telemetry } from '../runtime/telemetry.ts'
import { RPC_CALL, rpcBinding } from './rpc-client.ts'

// Stand-ins for workerd's stubs (test/platform.test.ts runs the real ones): every property of a stub
// is an `RpcProperty`, a callable whose constructor has that name.
function RpcProperty() {}
const rpcProperty = (call: (...args: unknown[]) => unknown) => Object.setPrototypeOf((...args: unknown[]) => call(...args), RpcProperty.prototype)

/** A stub whose callee has the methods in `methods`; `RPC_CALL` too when it is instrumented. */
function stub(methods: Record<string, (...args: unknown[]) => unknown>, instrumented: boolean) {
  const calls: Array<{ name: string; args: unknown[] }> = []
  const target = {
    fetch: async () => new Response('ok'),
  }
  const proxy = new Proxy(target, {
    get(t, key) {
      if (key === 'fetch' || typeof key !== 'string') return Reflect.get(t, key)
      return rpcProperty(async (...args: unknown[]) => {
        calls.push({ name: key, args })
        if (key === RPC_CALL && instrumented) return methods[args[1] as string](...(args[2] as unknown[]))
        if (!methods[key]) throw new TypeError(`The RPC receiver does not implement the method "${key}".`)
        return methods[key](...args)
      })
    },
  })
  return { proxy, calls }
}

function inRequest<T>(fn: () => Promise<T>): Promise<T> {
  const span = telemetry.own.tracer.startSpan('server', { kind: SpanKind.SERVER })
  return context.with(trace.setSpan(context.active(), span), fn).finally(() => span.end())
}

const traceFetch = (f: (...args: unknown[]) => unknown) => f
let transport: DecodingTransport

beforeEach(async () => {
  telemetry.reset()
  transport = new DecodingTransport()
  telemetry.configure({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' }, {}, transport)
})

const exported = async () => {
  await telemetry.flush()
  return transport.spans
}

describe('a service binding traced by rpcBinding', () => {
  it('sends the call with its trace context through RPC_CALL to an instrumented callee, in a CLIENT span', async () => {
    const { proxy, calls } = stub({ add: (a, b) => (a as number) + (b as number) }, true)
    const binding = rpcBinding(proxy, 'MATH', traceFetch) as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>
    expect(await inRequest(() => binding.add(2, 3))).toBe(5)
    expect(calls).toHaveLength(1)
    const [carrier, method, args] = calls[0].args as [Record<string, string>, string, unknown[]]
    expect([calls[0].name, method, args]).toEqual([RPC_CALL, 'add', [2, 3]])
    const client = (await exported()).find((s) => s.name === 'MATH/add')!
    expect(client).toMatchObject({ kind: 3, attributes: { 'rpc.system.name': 'cloudflare_workers_rpc', 'rpc.method': 'MATH/add', 'cloudflare.jsrpc.method': 'add' } })
    expect(carrier.traceparent).toContain(client.spanId)
  })

  it('calls an uninstrumented callee with exactly its arguments, and calls it directly from then on', async () => {
    const { proxy, calls } = stub({ count: (...items) => items.length }, false)
    const binding = rpcBinding(proxy, 'PLAIN', traceFetch) as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>
    expect(await inRequest(() => binding.count(1, undefined))).toBe(2)
    expect(await inRequest(() => binding.count())).toBe(0)
    expect(calls.map((c) => [c.name, c.args])).toEqual([
      [RPC_CALL, [expect.any(Object), 'count', [1, undefined]]],
      ['count', [1, undefined]],
      ['count', []],
    ])
    expect((await exported()).filter((s) => s.name === 'PLAIN/count').map((s) => s.status.code ?? 0)).toEqual([0, 0])
  })

  it('hands the caller the error the method threw, and records it', async () => {
    const { proxy } = stub({ fail: () => Promise.reject(new RangeError('closed')) }, true)
    const binding = rpcBinding(proxy, 'LEDGER', traceFetch) as unknown as Record<string, () => Promise<unknown>>
    await expect(inRequest(() => binding.fail())).rejects.toThrow('closed')
    expect((await exported()).find((s) => s.name === 'LEDGER/fail')).toMatchObject({ status: { code: 2 }, attributes: expect.objectContaining({ 'error.type': 'RangeError' }) })
  })

  it('passes calls outside a traced request through to the method itself', async () => {
    const { proxy, calls } = stub({ add: (a, b) => (a as number) + (b as number) }, true)
    const binding = rpcBinding(proxy, 'MATH', traceFetch) as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>
    expect(await binding.add(1, 1)).toBe(2)
    expect(calls.map((c) => c.name)).toEqual(['add'])
  })
})

describe('a Durable Object namespace traced by rpcBinding', () => {
  it('hands out stubs whose RPC methods are traced, and leaves other bindings alone', async () => {
    const { proxy, calls } = stub({ reserve: (n) => ({ reserved: n }) }, true)
    class DurableObjectNamespace {
      getByName() {
        return proxy
      }
      idFromName(name: string) {
        return `id:${name}`
      }
    }
    const namespace = rpcBinding(new DurableObjectNamespace(), 'STOCK', traceFetch)
    expect(namespace.idFromName('a')).toBe('id:a')
    const reservation = await inRequest(() => (namespace.getByName() as unknown as { reserve(n: number): Promise<unknown> }).reserve(2))
    expect(reservation).toEqual({ reserved: 2 })
    expect(calls[0].name).toBe(RPC_CALL)
    const kv = { get: () => 1 }
    expect(rpcBinding(kv, 'KV', traceFetch)).toBe(kv)
  })
})
