import { SpanKind, context, trace } from '@opentelemetry/api'
import { describe, expect, it } from 'vitest'
import { registerTelemetry, telemetry } from '../../runtime/telemetry.ts'
import { instrumentEnv } from './env.ts'

// These tests run outside a handler, so nothing has registered the providers with the API yet.
registerTelemetry()

function inRequest<T>(fn: () => Promise<T>): Promise<T> {
  const span = telemetry.own.tracer.startSpan('server', { kind: SpanKind.SERVER })
  return context.with(trace.setSpan(context.active(), span), fn).finally(() => span.end())
}

/** An RPC stub answers every property name with a callable, as workerd's service bindings do. */
function rpcStub(fetch: (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>) {
  return new Proxy({ fetch }, { get: (target, key) => (key === 'fetch' ? target.fetch : () => Promise.resolve(`rpc ${String(key)}`)) })
}

describe('instrumentEnv', () => {
  it('wraps bindings that have fetch, keeps others, and caches per env', async () => {
    const calls: Request[] = []
    const fn = async (input: RequestInfo | URL, init?: RequestInit) => {
      calls.push(new Request(input, init))
      return new Response(null)
    }
    const binding = { fetch: fn, connect: function (this: unknown) { return this } }
    const env = { SERVICE: binding, NAME: 'x', OTHER: { get: () => 1 } }
    const wrapped = instrumentEnv(env)
    expect(instrumentEnv(env)).toBe(wrapped)
    expect(wrapped.NAME).toBe('x')
    expect(wrapped.OTHER).toBe(env.OTHER)
    expect(wrapped.SERVICE.connect()).toBe(binding)
    await inRequest(() => wrapped.SERVICE.fetch('https://svc/x'))
    expect(calls[0].headers.get('traceparent')).not.toBeNull()
  })

  it('never takes an RPC stub (which answers every method name) for a KV namespace or an AI binding', async () => {
    const calls: Request[] = []
    const stub = rpcStub(async (input, init) => {
      calls.push(new Request(input, init))
      return new Response(null)
    })
    const wrapped = instrumentEnv({ SERVICE: stub as unknown as Record<string, () => Promise<string>> })
    const before = telemetry.spans.length
    expect(await inRequest(() => wrapped.SERVICE.getWithMetadata())).toBe('rpc getWithMetadata')
    expect(await inRequest(() => wrapped.SERVICE.run())).toBe('rpc run')
    expect(telemetry.spans.slice(before).map((s) => s.name)).toEqual(['server', 'server'])
    await inRequest(() => (wrapped.SERVICE as unknown as { fetch: typeof fetch }).fetch('https://svc/x'))
    expect(calls[0].headers.get('traceparent')).not.toBeNull()
  })
})
