import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import type { ProxyTracerProvider } from '@opentelemetry/api'
import { tailSampling } from './tail-sampling.ts'
import { telemetry } from './telemetry.ts'

const ENV = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' }
let warn: ReturnType<typeof vi.spyOn>

beforeEach(() => {
  telemetry.reset()
  warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
})
afterEach(() => warn.mockRestore())

const messages = (): string[] => warn.mock.calls.map((c: unknown[]) => String(c[0]))

describe('configuration, once per isolate', () => {
  it('names, once, each option another handler gives differently, since it is ignored', () => {
    const sampler = tailSampling()
    telemetry.configure(ENV, { serviceName: 'inventory', redactQueryParameters: ['sku'], tailSampling: sampler })
    // Another handler of the same worker, with options of its own.
    const cron = { serviceName: 'inventory-cron', batchDelay: 5, tailSampling: tailSampling({ slowMs: 50 }), encodings: [] }
    telemetry.configure(ENV, cron)
    telemetry.configure(ENV, cron)
    telemetry.configure(ENV, { ...cron })
    expect(telemetry.config!.serviceName).toBe('inventory')
    expect(messages()).toHaveLength(3)
    expect(messages()[0]).toBe(
      '[edge-otel] the serviceName option of a handler was ignored: the first handler to run configures the isolate. Give every handler the same options.',
    )
    expect(messages().map((m) => m.split(' ')[2])).toEqual(['serviceName', 'batchDelay', 'tailSampling'])
  })

  it('says nothing when handlers share their options, or give equal ones', () => {
    const sampler = tailSampling()
    const shared = { serviceName: 'inventory', tailSampling: sampler }
    telemetry.configure(ENV, shared)
    telemetry.configure(ENV, shared)
    telemetry.configure(ENV, { serviceName: 'inventory', redactQueryParameters: undefined, tailSampling: tailSampling(), maxRetries: 5 } as never)
    expect(messages()).toEqual([])
  })
})

describe('state behind read-only accessors', () => {
  it('lets no other module assign what the isolate holds', () => {
    telemetry.configure(ENV, { serviceName: 'inventory' })
    for (const name of ['config', 'resource', 'transport', 'spillQueue', 'tail', 'sensitiveQueryKeys', 'spans', 'own']) {
      expect(() => ((telemetry as unknown as Record<string, unknown>)[name] = undefined), name).toThrow(TypeError)
    }
    expect(telemetry.config!.serviceName).toBe('inventory')
    expect(telemetry.resource['service.name']).toBe('inventory')
  })

  it('puts an adapted resource and transport in force once configured, and nothing before', () => {
    const asked: unknown[] = []
    const transport = { send: async () => {} }
    telemetry.adapt(() => (asked.push('before'), { transport }))
    expect(asked).toEqual([])
    telemetry.configure(ENV, { serviceName: 'inventory' })
    const configured = telemetry.transport
    telemetry.adapt((resource, config, current) => {
      asked.push([resource['service.name'], config.serviceName, current === configured])
      return { resource: { ...resource, 'process.runtime.name': 'deno' } }
    })
    expect(asked).toEqual([['inventory', 'inventory', true]])
    expect(telemetry.resource).toMatchObject({ 'service.name': 'inventory', 'process.runtime.name': 'deno' })
    expect(telemetry.transport).toBe(configured)
    telemetry.adapt(() => ({ transport }))
    expect(telemetry.transport).toBe(transport)
  })

  it('runs a scheduled flush through its own flush method, which the test kit wraps', async () => {
    telemetry.configure(ENV, { serviceName: 'inventory', batchDelay: 0 }, { send: async () => {} })
    const flush = vi.spyOn(telemetry, 'flush')
    await telemetry.requestEnded()
    expect(flush).toHaveBeenCalledTimes(1)
    flush.mockRestore()
  })
})

/** Unregisters everything from `@opentelemetry/api`, as in a worker that has not run yet. */
async function disableApi() {
  const api = await import('@opentelemetry/api')
  for (const part of [api.trace, api.metrics, api.context, api.propagation]) part.disable()
  return api
}

/** A fresh copy of the library and of the API, with nothing registered: what a worker's first import sees. */
async function freshIsolate() {
  vi.resetModules()
  const api = await disableApi()
  return { api, ...(await import('./telemetry.ts')) }
}

const delegateOf = (provider: unknown) => (provider as ProxyTracerProvider).getDelegate()

describe('registration with @opentelemetry/api', () => {
  const CONFIGURE = [ENV, {}, { send: async () => {} }] as const

  afterEach(disableApi)

  it('registers nothing on import, and everything on the first configure, once', async () => {
    const { api, telemetry: fresh } = await freshIsolate()
    expect(delegateOf(api.trace.getTracerProvider())).not.toBe(fresh.tracerProvider)
    expect(api.metrics.getMeterProvider()).not.toBe(fresh.meterProvider)
    fresh.configure(...CONFIGURE)
    fresh.reset()
    fresh.configure(...CONFIGURE)
    expect(delegateOf(api.trace.getTracerProvider())).toBe(fresh.tracerProvider)
    expect(api.metrics.getMeterProvider()).toBe(fresh.meterProvider)
    const key = api.createContextKey('k')
    expect(api.context.with(api.ROOT_CONTEXT.setValue(key, 1), () => api.context.active().getValue(key))).toBe(1)
    expect(api.propagation.fields()).toEqual(['traceparent', 'tracestate', 'baggage'])
    expect(messages()).toEqual([])
  })

  it('lets a meter made at module scope record once registerTelemetry() ran before it', async () => {
    const { api, telemetry: fresh, registerTelemetry } = await freshIsolate()
    const early = api.metrics.getMeter('early').createCounter('made.before')
    registerTelemetry()
    const registered = api.metrics.getMeter('registered').createCounter('made.after')
    early.add(1)
    registered.add(1)
    const names = (await fresh.meterProvider.collect()).flatMap((scope) => scope.metrics.map((metric) => metric.name))
    expect(names).toEqual(['made.after'])
  })

  it('keeps what another library registered first, says so once, and runs handlers in its context manager', async () => {
    const { api, telemetry: fresh } = await freshIsolate()
    const theirs = new (await import('../sdk/context.ts')).AsyncLocalStorageContextManager()
    api.context.setGlobalContextManager(theirs)
    const theirMeters = { getMeter: () => api.createNoopMeter() }
    api.metrics.setGlobalMeterProvider(theirMeters)
    fresh.configure(...CONFIGURE)
    expect(api.metrics.getMeterProvider()).toBe(theirMeters)
    expect(delegateOf(api.trace.getTracerProvider())).toBe(fresh.tracerProvider)
    expect(messages()).toEqual([
      "[edge-otel] edge-otel did not register its context manager, meter provider: another was registered with @opentelemetry/api first, and gets what the API records.",
    ])
    const span = fresh.tracerProvider.getTracer('t').startSpan('request')
    const seen = fresh.contexts.with(api.trace.setSpan(api.ROOT_CONTEXT, span), () => api.trace.getActiveSpan())
    expect(seen).toBe(span)
  })
})

describe('providers passed as options', () => {
  afterEach(disableApi)

  it("records the library's spans and metrics with them, registers them, and flushes them with each flush", async () => {
    const { api, telemetry: fresh } = await freshIsolate()
    const sdkTrace = await import('@opentelemetry/sdk-trace')
    const sdkMetrics = await import('@opentelemetry/sdk-metrics')
    const spans = new sdkTrace.InMemorySpanExporter()
    const tracerProvider = new sdkTrace.TracerProvider({ spanProcessors: [new sdkTrace.BatchSpanProcessor({ exporter: spans, scheduledDelayMillis: 3_600_000 })] })
    const points = new sdkMetrics.InMemoryMetricExporter(sdkMetrics.AggregationTemporality.DELTA)
    const reader = new sdkMetrics.PeriodicExportingMetricReader({ exporter: points, exportIntervalMillis: 3_600_000 })
    const meterProvider = new sdkMetrics.MeterProvider({ readers: [reader] })
    fresh.configure(ENV, { tracerProvider, meterProvider, tailSampling: tailSampling() }, { send: async () => {} })
    expect(delegateOf(api.trace.getTracerProvider())).toBe(tracerProvider)
    expect(api.metrics.getMeterProvider()).toBe(meterProvider)
    fresh.own.tracer.startSpan('GET /items').end()
    fresh.own.coldStarts.add(1)
    expect(fresh.spans).toEqual([])
    expect(spans.getFinishedSpans()).toEqual([])
    await fresh.flush()
    expect(spans.getFinishedSpans().map((s) => [s.name, s.instrumentationScope.name])).toEqual([['GET /items', 'edge-otel']])
    expect(points.getMetrics().flatMap((m) => m.scopeMetrics.flatMap((s) => s.metrics.map((metric) => metric.descriptor.name)))).toEqual(['faas.coldstarts'])
    expect(fresh.tail).toBeUndefined()
    expect(messages()).toEqual(["[edge-otel] tail sampling needs edge-otel's own tracer provider; with the tracerProvider option it is off."])
    await reader.shutdown()
  })

  it('reports a failed forceFlush once and flushes on; a provider given after registration is named', async () => {
    const { api, telemetry: fresh, registerTelemetry } = await freshIsolate()
    const failing = { getTracer: () => fresh.tracerProvider.getTracer('x'), forceFlush: () => Promise.reject(new Error('collector down')) }
    registerTelemetry({ tracerProvider: failing })
    // The same tracer provider again is fine; a meter provider not given to registerTelemetry() is not.
    fresh.configure(ENV, { tracerProvider: failing, meterProvider: { getMeter: () => api.createNoopMeter() } }, { send: async () => {} })
    await expect(fresh.flush()).resolves.toBeUndefined()
    await expect(fresh.flush()).resolves.toBeUndefined()
    expect(messages()).toEqual([
      '[edge-otel] a tracerProvider or meterProvider option came after registration and was ignored: give it to registerTelemetry() too.',
      '[edge-otel] a provider passed as an option failed to flush: Error: collector down',
    ])
  })
})
