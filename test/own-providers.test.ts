// Providers of the user's own, passed to edge-otel (`otel({ tracerProvider, meterProvider })` and
// `registerTelemetry()`), in workerd: the OpenTelemetry SDK's TracerProvider and MeterProvider with the
// SDK's OTLP/HTTP exporters. Every span and metric reaches the user's receiver through them, whole and
// in one trace per request; edge-otel's own exporter, pointed at another receiver, gets nothing to send.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type Receiver, startReceiver } from '../middleware/testing/receiver.ts'
import { type RunningFunctions, fixtureWorker, startFunctions } from './functions.ts'

const REQUESTS = 24
const CONCURRENCY = 8

let builtIn: Receiver
let own: Receiver
let functions: RunningFunctions
const traceIds: string[] = []
const parentIds: string[] = []

beforeAll(async () => {
  builtIn = await startReceiver()
  own = await startReceiver()
  functions = await startFunctions(
    [fixtureWorker('own-providers', 'own-providers.ts')],
    { OTEL_EXPORTER_OTLP_ENDPOINT: builtIn.url, OWN_RECEIVER_URL: own.url },
  )
  for (let i = 0; i < REQUESTS; i += CONCURRENCY) {
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, j) => {
        const n = i + j
        const traceId = n.toString(16).padStart(32, 'a')
        const parentId = n.toString(16).padStart(16, 'b')
        traceIds.push(traceId)
        parentIds.push(parentId)
        const response = await functions.fetch(`/work/${n}`, { headers: { traceparent: `00-${traceId}-${parentId}-01` } })
        expect(await response.text()).toBe(`work ${n}`)
      }),
    )
  }
  await own.waitFor(() => own.spans.length >= REQUESTS * 3, 20_000, `${REQUESTS * 3} spans at the user's receiver`)
  await own.waitFor(
    () => own.metrics.filter((m) => m.name === 'test.handled').flatMap((m) => m.points).reduce((n, p) => n + p.value!, 0) >= REQUESTS,
    20_000,
    `${REQUESTS} requests counted at the user's receiver`,
  )
  await Promise.all([own.idle(500), builtIn.idle(500)])
}, 120_000)

afterAll(async () => {
  await functions?.dispose()
  await builtIn?.close()
  await own?.close()
})

describe("the user's own SDK providers, passed to edge-otel, in workerd", () => {
  it("carry every request's SERVER span, the user's span and the outbound CLIENT span, in the caller's trace", () => {
    expect(own.spans).toHaveLength(REQUESTS * 3)
    for (const [i, traceId] of traceIds.entries()) {
      const spans = own.spans.filter((s) => s.traceId === traceId)
      const server = spans.find((s) => s.kind === 2)!
      const work = spans.find((s) => s.name === 'work')!
      const client = spans.find((s) => s.kind === 3)!
      expect(spans, traceId).toHaveLength(3)
      expect(server).toMatchObject({ name: 'GET /work/:id', parentSpanId: parentIds[i], scope: { name: 'edge-otel' } })
      expect(server.attributes).toMatchObject({ 'http.route': '/work/:id', 'http.response.status_code': 200 })
      expect(work.parentSpanId).toBe(server.spanId)
      expect(client).toMatchObject({ name: 'GET', parentSpanId: work.spanId })
    }
  })

  it("do not trace the SDK exporters' own requests", () => {
    expect(own.spans.filter((s) => String(s.attributes['url.full'] ?? '').includes('/v1/'))).toEqual([])
  })

  it("carry the library's request metrics and the user's counter, adding up exactly", () => {
    const points = (name: string) => own.metrics.filter((m) => m.name === name).flatMap((m) => m.points)
    expect(points('test.handled').reduce((n, p) => n + p.value!, 0)).toBe(REQUESTS)
    expect(points('http.server.request.duration').reduce((n, p) => n + p.count!, 0)).toBe(REQUESTS)
    expect(points('http.client.request.duration').reduce((n, p) => n + p.count!, 0)).toBe(REQUESTS)
  })

  it("leave edge-otel's own exporter nothing to send", () => {
    expect(builtIn.spans).toEqual([])
    expect(builtIn.metrics.flatMap((m) => m.points)).toEqual([])
  })
})
