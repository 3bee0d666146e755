// The OpenTelemetry SDK's own OTLP/HTTP exporters (@opentelemetry/exporter-trace-otlp-http and
// exporter-metrics-otlp-http, browser builds, which use fetch) plugged in with `edge-otel/sdk`, in workerd:
// one worker exports through them to one receiver and through the built-in exporter to another, so
// both receivers must decode the same spans and the same points. A span processor in the worker
// records the onStart and onEnd calls it gets.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ReceivedMetric, ReceivedSpan } from '../middleware/testing/decode.ts'
import { type Receiver, startReceiver } from '../middleware/testing/receiver.ts'
import { type RunningFunctions, fixtureWorker, startFunctions } from './functions.ts'

const REQUESTS = 60
const CONCURRENCY = 20

let builtIn: Receiver
let sdk: Receiver
let functions: RunningFunctions
/** `resourceSpans` and `resourceMetrics` entries of each export request the SDK exporters sent. */
const resourcesPerRequest: number[] = []

beforeAll(async () => {
  builtIn = await startReceiver()
  sdk = await startReceiver({
    onExport: (_signal, decoded) => {
      const groups = (decoded.resourceSpans ?? decoded.resourceMetrics) as unknown[] | undefined
      resourcesPerRequest.push(groups?.length ?? 0)
    },
  })
  functions = await startFunctions(
    [fixtureWorker('sdk-interop', 'sdk-exporters.ts')],
    { OTEL_EXPORTER_OTLP_ENDPOINT: builtIn.url, SDK_RECEIVER_URL: sdk.url },
  )
  const paths = [...Array.from({ length: REQUESTS }, (_, i) => `/work/${i + 1}`), '/fail', '/fail']
  for (let i = 0; i < paths.length; i += CONCURRENCY) {
    await Promise.all(paths.slice(i, i + CONCURRENCY).map(async (path) => (await functions.fetch(path)).arrayBuffer()))
  }
  const expected = REQUESTS * 3 + 2
  await builtIn.waitFor(() => builtIn.spans.length >= expected, 20_000, `${expected} spans at the built-in receiver`)
  await sdk.waitFor(() => sdk.spans.length >= expected, 20_000, `${expected} spans at the SDK exporter's receiver`)
  await Promise.all([builtIn.idle(500), sdk.idle(500)])
}, 120_000)

afterAll(async () => {
  await functions?.dispose()
  await builtIn?.close()
  await sdk?.close()
})

/** The fixture with tail sampling behind a head sampler that keeps nothing, exporting to two receivers of its own. */
async function startTailSampled(): Promise<{ builtIn: Receiver; sdk: Receiver; functions: RunningFunctions }> {
  const pair = { builtIn: await startReceiver(), sdk: await startReceiver() }
  const running = await startFunctions(
    [fixtureWorker('sdk-interop-tail', 'sdk-exporters.ts')],
    { OTEL_EXPORTER_OTLP_ENDPOINT: pair.builtIn.url, SDK_RECEIVER_URL: pair.sdk.url, OTEL_TRACES_SAMPLER: 'always_off', TAIL_SAMPLING: '1' },
  )
  return { ...pair, functions: running }
}

/** Leaves out a field that holds its proto3 default: the built-in protobuf omits it, the SDK's OTLP/JSON writes it. */
const unlessDefault = <T>(value: T): T | undefined => (value === '' || value === 0 ? undefined : value)

/** Each span as decoded, by id, with defaults left out alike. */
function bySpanId(spans: ReceivedSpan[]): Map<string, ReceivedSpan> {
  return new Map(
    spans.map((s) => [s.spanId, { ...s, traceState: unlessDefault(s.traceState), status: { code: unlessDefault(s.status.code), message: unlessDefault(s.status.message) } }]),
  )
}

/** Each metric's points in a stable order, keyed by scope and name. */
function byMetric(metrics: ReceivedMetric[]): Map<string, ReceivedMetric[]> {
  const out = new Map<string, ReceivedMetric[]>()
  for (const m of metrics) {
    const key = `${m.scope.name} ${m.name}`
    const points = [...m.points].sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1))
    const sorted = { ...m, description: unlessDefault(m.description), unit: unlessDefault(m.unit), points }
    out.set(key, [...(out.get(key) ?? []), sorted])
  }
  for (const list of out.values()) list.sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1))
  return out
}

describe('the official SDK OTLP exporters plugged into edge-otel, in workerd', () => {
  it('deliver the same spans as the built-in exporter, field by field', () => {
    const expected = bySpanId(builtIn.spans)
    const received = bySpanId(sdk.spans)
    expect(expected.size).toBe(REQUESTS * 3 + 2)
    expect(sdk.spans).toHaveLength(expected.size)
    for (const [id, span] of expected) expect(received.get(id), span.name).toEqual(span)
    // What the comparison covers: nested spans with events, links, errors and the library's resource.
    const load = sdk.spans.find((s) => s.name === 'load order')!
    expect(load.parentSpanId).toBeTruthy()
    expect(load.events[0]).toEqual({ name: 'cache miss', attributes: { 'cache.key': expect.stringMatching(/^order-/) } })
    expect(load.links).toHaveLength(1)
    expect(load.scope).toMatchObject({ name: 'sdk-interop-test', version: '1.2.3' })
    expect(sdk.spans.filter((s) => s.status.code === 2).length).toBeGreaterThan(REQUESTS / 5)
    expect(sdk.spans.some((s) => s.events.some((e) => e.name === 'exception'))).toBe(true)
    expect(load.resource['service.name']).toBe('sdk-interop')
    expect(load.resource['service.instance.id']).toBeTruthy()
  })

  it('send one resource per export request: every span and metric shares one Resource object', () => {
    expect(resourcesPerRequest.length).toBeGreaterThan(0)
    expect(new Set(resourcesPerRequest)).toEqual(new Set([1]))
  })

  it("do not trace the exporters' own fetch calls", () => {
    const exports = sdk.spans.filter((s) => String(s.attributes['url.full'] ?? '').includes('/v1/'))
    expect(exports).toEqual([])
  })

  it('deliver the same metric points as the built-in exporter', () => {
    const expected = byMetric(builtIn.metrics)
    const received = byMetric(sdk.metrics)
    expect([...received.keys()].sort()).toEqual([...expected.keys()].sort())
    for (const [key, metric] of expected) expect(received.get(key), key).toEqual(metric)
    const sum = (name: string) => sdk.metrics.filter((m) => m.name === name).flatMap((m) => m.points)
    expect(sum('test.orders').reduce((n, p) => n + p.value!, 0)).toBe(REQUESTS)
    expect(sum('test.basket.size').reduce((n, p) => n + p.count!, 0)).toBe(REQUESTS)
    expect(sum('test.temperature').length).toBeGreaterThan(0)
    expect(sum('http.server.request.duration').reduce((n, p) => n + p.count!, 0)).toBe(REQUESTS + 2)
  })

  it('tell a span processor of every span as it starts and as it ends, with one object for both', async () => {
    const seen = (await (await functions.fetch('/seen')).json()) as Record<string, number> & { started: string[]; ended: string[] }
    const exported = sdk.spans.map((s) => s.spanId).sort()
    expect([...seen.ended].sort()).toEqual(exported)
    // The /seen request's own SERVER span has started, and not yet ended.
    expect(seen.started).toHaveLength(exported.length + 1)
    expect(exported.every((id) => seen.started.includes(id))).toBe(true)
    expect(seen.sameObject).toBe(exported.length)
    expect(seen.endedFlags).toBe(exported.length)
    expect(seen.parentsMatch).toBe(exported.length + 1)
    expect(seen.resources).toBe(1)
    expect(seen.flushes).toBeGreaterThan(0)
    // What onStart set on the span reached both exporters.
    expect(sdk.spans.every((s) => s.attributes['test.processor.started'] === true)).toBe(true)
    expect(builtIn.spans.every((s) => s.attributes['test.processor.started'] === true)).toBe(true)
  })
})

describe('with tail sampling, the SDK span exporter', () => {
  let tail: Awaited<ReturnType<typeof startTailSampled>> | undefined

  afterAll(async () => {
    await tail?.functions.dispose()
    await tail?.builtIn.close()
    await tail?.sdk.close()
  })

  it('gets the spans of the traces tail sampling keeps, as the built-in exporter does', async () => {
    tail = await startTailSampled()
    const paths = ['/work/1', '/fail', '/work/2', '/fail', '/work/3']
    await Promise.all(paths.map(async (path) => (await tail!.functions.fetch(path)).arrayBuffer()))
    await tail.builtIn.waitFor(() => tail!.builtIn.spans.length >= 2, 20_000, 'the failed requests at the built-in receiver')
    await tail.sdk.waitFor(() => tail!.sdk.spans.length >= 2, 20_000, "the failed requests at the SDK exporter's receiver")
    await Promise.all([tail.builtIn.idle(500), tail.sdk.idle(500)])
    const kept = bySpanId(tail.builtIn.spans)
    expect([...kept.values()].map((s) => s.name)).toEqual(['GET /fail', 'GET /fail'])
    expect(bySpanId(tail.sdk.spans)).toEqual(kept)
    expect(tail.sdk.spans.every((s) => (s.flags! & 1) === 1)).toBe(true)
    // The processor was told of every recorded span, the dropped requests' too.
    const seen = (await (await tail.functions.fetch('/seen')).json()) as { ended: string[] }
    expect(seen.ended.length).toBe(3 * 3 + 2)
  }, 60_000)
})
