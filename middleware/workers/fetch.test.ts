import { SpanKind, context, createContextKey, trace } from '@opentelemetry/api'
import { describe, expect, it } from 'vitest'
import { instrumentFetch } from './fetch.ts'
import { registerTelemetry, telemetry } from '../runtime/telemetry.ts'

// These tests run outside a handler, so nothing has registered the providers with the API yet.
registerTelemetry()

function recordingFetch(status = 200) {
  const calls: Request[] = []
  const fn = async (input: RequestInfo | URL, init?: RequestInit) => {
    calls.push(new Request(input, init))
    return new Response(null, { status })
  }
  return { calls, fn }
}

function inRequest<T>(fn: () => Promise<T>): Promise<T> {
  const span = telemetry.own.tracer.startSpan('server', { kind: SpanKind.SERVER })
  return context.with(trace.setSpan(context.active(), span), fn).finally(() => span.end())
}

describe('instrumentFetch', () => {
  it('passes calls outside a traced request through untouched', async () => {
    const { calls, fn } = recordingFetch()
    await instrumentFetch(fn)('http://example.test/x')
    expect(calls[0].headers.get('traceparent')).toBeNull()
  })

  it('injects traceparent for a CLIENT span, without touching the caller\'s Request', async () => {
    const { calls, fn } = recordingFetch()
    const original = new Request('https://api.test/items?q=1', { headers: { accept: 'json' } })
    await inRequest(() => instrumentFetch(fn)(original))
    expect(original.headers.get('traceparent')).toBeNull()
    expect(calls[0].headers.get('traceparent')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-03$/)
    expect(calls[0].headers.get('accept')).toBe('json')
  })

  it('passes through untouched a call the OpenTelemetry SDK suppresses tracing for (its exporters\' own)', async () => {
    const { calls, fn } = recordingFetch()
    // What `suppressTracing` of @opentelemetry/core sets: the API makes one symbol per key name.
    const suppressed = createContextKey('OpenTelemetry SDK Context Key SUPPRESS_TRACING')
    const before = telemetry.spans.length
    await inRequest(() => context.with(context.active().setValue(suppressed, true), () => instrumentFetch(fn)('https://collector.test/v1/traces')))
    expect(calls[0].headers.get('traceparent')).toBeNull()
    expect(telemetry.spans.slice(before).map((s) => s.name)).toEqual(['server'])
  })

  it('rethrows network errors after recording them', async () => {
    const failing = async (_input: RequestInfo | URL): Promise<Response> => {
      throw new TypeError('fetch failed')
    }
    await expect(inRequest(() => instrumentFetch(failing)('http://down.test/'))).rejects.toThrow('fetch failed')
  })

  it('passes through a URL it cannot parse, so the caller sees the runtime\'s own error', async () => {
    const { fn, calls } = recordingFetch()
    await expect(inRequest(() => instrumentFetch(fn)('not a url'))).rejects.toThrow()
    expect(calls).toHaveLength(0)
  })
})
