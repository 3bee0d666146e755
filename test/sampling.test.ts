// Sampling across the three example functions in workerd: ratios within statistical bounds,
// errors and slow requests always kept under tail sampling, and no trace ever partly kept.
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import type { ReceivedSpan } from '../middleware/testing/decode.ts'
import { type RunningFunctions, type WorkerSpec, exampleFunctions, startFunctions } from './functions.ts'
import { useReceiver } from './receiver-setup.ts'
import { CLIENT, ORDER_TRACE_SIZE, SERVER, byTrace, find, orderTrace, orderTraceSize } from './trace-helpers.ts'

/**
 * The spec's decision, computed here independently with exact integers: a trace is in the sample
 * when the low 56 bits of its id reach the rejection threshold (1 - ratio) * 2^56.
 */
const inSample = (traceId: string, ratio: number) => BigInt(`0x${traceId.slice(18)}`) >= BigInt(Math.round((1 - ratio) * 2 ** 56))

/** True when `kept` of `n` trials is within 4 standard deviations of a binomial with probability `p`. */
const withinBounds = (kept: number, n: number, p: number) => Math.abs(kept - n * p) < 4 * Math.sqrt(n * p * (1 - p))

const receiver = useReceiver()

async function serveAll(functions: RunningFunctions, paths: string[]): Promise<Map<string, number>> {
  const statuses = new Map<string, number>()
  for (let i = 0; i < paths.length; i += 10) {
    await Promise.all(
      paths.slice(i, i + 10).map(async (path) => {
        const response = await functions.fetch(path)
        await response.arrayBuffer()
        statuses.set(path, response.status)
      }),
    )
  }
  await receiver.idle(1500)
  return statuses
}

/** Starts `specs` exporting to the receiver (cleared first) with `vars`, serves `paths` and stops them. */
async function serveWith(specs: WorkerSpec[], vars: Record<string, string>, paths: string[]): Promise<Map<string, number>> {
  await receiver.idle()
  receiver.clear()
  const functions = await startFunctions(specs, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, ...vars })
  try {
    return await serveAll(functions, paths)
  } finally {
    await functions.dispose()
  }
}

/** Trace id → the gateway's `url.path`, for every trace that arrived; fails on any partial trace. */
function completeTraces(spans: ReceivedSpan[]): Map<string, string> {
  const paths = new Map<string, string>()
  for (const [traceId, trace] of byTrace(spans)) {
    const { gatewayServer, inventoryServer } = orderTrace(trace)
    const path = gatewayServer.attributes['url.path'] as string
    const expected = orderTraceSize(path)
    expect(trace, `trace ${traceId} (${path}) arrived with ${trace.length} spans`).toHaveLength(expected)
    if (path === '/orders/88') expect(trace.some((s) => s.name === 'warehouse lookup' && s.parentSpanId === inventoryServer.spanId)).toBe(true)
    paths.set(traceId, path)
  }
  return paths
}

function requestCount(service: string): number {
  return receiver.metrics
    .filter((m) => m.name === 'http.server.request.duration' && m.resource['service.name'] === service)
    .flatMap((m) => m.points)
    .reduce((n, p) => n + (p.count ?? 0), 0)
}

describe('head sampling: traceidratio in every function', () => {
  it('keeps about a quarter of 400 traces, each whole, and still counts every request in the metrics', async () => {
    const paths = Array.from({ length: 400 }, (_, i) => `/orders/${100 + i}`)
    // Not parent-based: each function decides on its own, from the trace id alone. The example
    // functions use tailSampling(); this test is about the head sampler alone.
    const vars = { OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25', EDGE_OTEL_TAIL_SAMPLING: 'off' }
    const statuses = await serveWith(exampleFunctions(), vars, paths)
    expect([...statuses.values()].every((s) => s === 200)).toBe(true)

    const kept = completeTraces(receiver.spans)
    expect(withinBounds(kept.size, 400, 0.25), `${kept.size} of 400 kept`).toBe(true)
    // The three functions made the same decision, the one the spec's formula gives.
    for (const traceId of kept.keys()) expect(inSample(traceId, 0.25)).toBe(true)
    // Metrics are never sampled.
    for (const service of ['gateway', 'orders', 'inventory']) expect(requestCount(service)).toBe(400)
  })
})

describe('tail sampling: parentbased_traceidratio 0.1, plus errors and slow requests', () => {
  it('keeps every failed and every slow trace, samples the rest at the ratio, and never keeps part of one', async () => {
    const normal = Array.from({ length: 300 }, (_, i) => `/orders/${100 + i}`)
    const failed = Array.from({ length: 20 }, (_, i) => `/orders/13?attempt=${i}`)
    const slow = Array.from({ length: 10 }, (_, i) => `/orders/77?attempt=${i}`)
    // A failure only inventory sees: orders and gateway keep their parts because inventory's
    // traceresponse says it kept its own.
    const degraded = Array.from({ length: 20 }, (_, i) => `/orders/88?attempt=${i}`)
    const vars = {
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.1',
      // Order 77's stock lookup takes 300 ms in the far warehouse.
      EDGE_OTEL_TAIL_SAMPLING_SLOW_MS: '200',
    }
    const statuses = await serveWith(exampleFunctions(), vars, [...normal, ...failed, ...slow, ...degraded])
    expect(failed.every((p) => statuses.get(p) === 502)).toBe(true)
    expect([...slow, ...degraded].every((p) => statuses.get(p) === 200)).toBe(true)

    // Every trace that arrived has all the spans of the three functions.
    const kept = completeTraces(receiver.spans)
    const keptPaths = [...kept.values()]
    const count = (path: string) => keptPaths.filter((p) => p === path).length
    expect(count('/orders/13')).toBe(20)
    expect(count('/orders/77')).toBe(10)
    expect(count('/orders/88')).toBe(20)
    const keptNormal = [...kept].filter(([, path]) => !['/orders/13', '/orders/77', '/orders/88'].includes(path))
    expect(withinBounds(keptNormal.length, 300, 0.1), `${keptNormal.length} of 300 kept`).toBe(true)
    for (const [traceId] of keptNormal) expect(inSample(traceId, 0.1)).toBe(true)
    for (const service of ['gateway', 'orders', 'inventory']) expect(requestCount(service)).toBe(350)
  })
})

describe('tail sampling when the caller decides last: called functions hand their spans back', () => {
  // A storefront calls the gateway (→ orders → inventory), which all answer fast and well; then the
  // storefront fails or is slow. Only the storefront knows, after the others have finished.
  const storefront = () => ({
    name: 'storefront',
    entry: resolve(import.meta.dirname, 'fixtures/late-failure.ts'),
    compatibilityDate: exampleFunctions()[0].compatibilityDate,
    compatibilityFlags: ['nodejs_compat'],
    vars: {},
    services: { GATEWAY: 'gateway' },
  })
  const paths = [
    ...Array.from({ length: 10 }, (_, i) => `/late/${100 + i}?fail`),
    ...Array.from({ length: 5 }, (_, i) => `/late/${200 + i}?slow`),
    ...Array.from({ length: 10 }, (_, i) => `/late/${300 + i}`),
  ]

  async function run(key?: string) {
    const vars = {
      // Every root is dropped by the head sampler: only tail sampling keeps anything.
      OTEL_TRACES_SAMPLER: 'parentbased_always_off',
      EDGE_OTEL_TAIL_SAMPLING_SLOW_MS: '200',
      ...(key ? { EDGE_OTEL_TAIL_SAMPLING_KEY: key } : {}),
    }
    const statuses = await serveWith([storefront(), ...exampleFunctions()], vars, paths)
    expect(paths.map((p) => statuses.get(p))).toEqual(paths.map((p) => (p.endsWith('fail') ? 500 : 200)))
    return byTrace(receiver.spans)
  }

  it('with the same EDGE_OTEL_TAIL_SAMPLING_KEY everywhere, keeps every late-failed and slow trace whole, and nothing else', async () => {
    const traces = await run('a-random-secret-of-32-characters')
    expect(traces.size).toBe(15)
    for (const [traceId, trace] of traces) {
      const root = find(trace, 'storefront', SERVER)
      expect(['500', '200']).toContain(String(root.attributes['http.response.status_code']))
      const rest = trace.filter((s) => s.resource['service.name'] !== 'storefront')
      expect(rest, `trace ${traceId}`).toHaveLength(ORDER_TRACE_SIZE)
      const { gatewayServer } = orderTrace(rest)
      expect(gatewayServer.parentSpanId).toBe(find(trace, 'storefront', CLIENT).spanId)
    }
  })

  it('without the key, callees decide for themselves and those traces arrive with the storefront part only', async () => {
    const traces = await run()
    expect(traces.size).toBe(15)
    for (const trace of traces.values()) expect(trace.map((s) => s.resource['service.name'])).toEqual(['storefront', 'storefront'])
  })
})
