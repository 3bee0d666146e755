import { describe, expect, it } from 'vitest'
import { EdgeMeterProvider } from '../sdk/metrics/metrics.ts'
import { EdgeTracerProvider, type FinishedSpan } from '../sdk/trace/tracer.ts'
import { LIBRARY_NAME, LIBRARY_VERSION } from '../sdk/version.ts'
import { DB_DURATION_BOUNDARIES, HTTP_DURATION_BOUNDARIES, createInstruments } from './instruments.ts'

describe("the library's own instruments", () => {
  it('record under the semconv names and units, in the library scope', async () => {
    const spans: FinishedSpan[] = []
    const meterProvider = new EdgeMeterProvider({ temporality: 'delta', cardinalityLimit: 2000 })
    const own = createInstruments(new EdgeTracerProvider((s) => spans.push(s)), meterProvider)
    own.tracer.startSpan('GET /').end()
    own.serverDuration.record(0.02)
    own.clientDuration.record(0.03)
    own.bindingDuration.record(0.004)
    own.activeRequests.add(1)
    for (const counter of [own.coldStarts, own.invocations, own.errors, own.spansExported, own.pointsExported, own.spilled, own.replayed, own.spansProcessed]) counter.add(1)
    expect(spans.map((s) => [s.name, s.scope.name, s.scope.version])).toEqual([['GET /', LIBRARY_NAME, LIBRARY_VERSION]])
    const [scope] = await meterProvider.collect()
    expect(scope.scope).toMatchObject({ name: LIBRARY_NAME, version: LIBRARY_VERSION })
    expect(Object.fromEntries(scope.metrics.map((m) => [m.name, m.unit]))).toEqual({
      'http.server.request.duration': 's',
      'http.client.request.duration': 's',
      'db.client.operation.duration': 's',
      'http.server.active_requests': '{request}',
      'faas.coldstarts': '{coldstart}',
      'faas.invocations': '{invocation}',
      'faas.errors': '{error}',
      'otel.sdk.exporter.span.exported': '{span}',
      'otel.sdk.exporter.metric_data_point.exported': '{data_point}',
      'edge_otel.exporter.spilled': '{item}',
      'edge_otel.exporter.replayed': '{item}',
      'otel.sdk.processor.span.processed': '{span}',
    })
  })

  it('bucket durations at the semconv advisory boundaries', async () => {
    const meterProvider = new EdgeMeterProvider({ temporality: 'delta', cardinalityLimit: 2000 })
    const own = createInstruments(new EdgeTracerProvider(() => {}), meterProvider)
    own.serverDuration.record(0.02)
    own.bindingDuration.record(0.02)
    const [scope] = await meterProvider.collect()
    const bounds = (name: string) => scope.metrics.find((m) => m.name === name)?.bucketBounds
    expect(bounds('http.server.request.duration')).toEqual(HTTP_DURATION_BOUNDARIES)
    expect(bounds('db.client.operation.duration')).toEqual(DB_DURATION_BOUNDARIES)
  })
})
