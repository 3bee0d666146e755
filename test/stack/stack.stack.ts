// `npm run test:stack`: the example functions in workerd export to the real Collector, which feeds
// Jaeger and Prometheus; every check reads their HTTP APIs. Scenarios run side by side, kept apart
// by service.namespace (the exporter's job label is namespace/name):
//   shop        healthy traffic over 3 isolates of each function: exact counts, whole traces, no alert
//   errors      half the orders fail (order 13's warehouse throws)
//   slow        clients that take 800 ms to send their order
//   exportfail  the traces endpoint is misconfigured (the Collector answers 404)
//   coldstarts  20 new inventory isolates within a minute
//   restart     the Collector is killed and restarted while the functions spill to their queue
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { parse } from 'yaml'
import { type RunningFunctions, exampleFunctions } from '../functions.ts'
import { orderTraceSize } from '../trace-helpers.ts'
import type { Sample } from './prometheus.ts'
import { COLLECTOR_CONFIG, type Stack, startStack } from './stack.ts'
import { type SentRequest, drive, eventually, request, slowPost, startIsolates } from './traffic.ts'

const INFRA = resolve(import.meta.dirname, '../../infra')
const RULES: { groups: Array<{ rules: Array<{ record?: string; alert?: string; expr: string }> }> } = parse(
  readFileSync(resolve(INFRA, 'prometheus/rules.yml'), 'utf8'),
)
const DASHBOARD = JSON.parse(readFileSync(resolve(INFRA, 'grafana/dashboards/edge-functions.json'), 'utf8'))

let stack: Stack
const isolates: RunningFunctions[] = []
const shopRequests: SentRequest[] = []

const key = (metric: Record<string, string>, labels: string[]) => labels.map((l) => metric[l] ?? '').join(' ')
const table = (samples: Sample[], labels: string[]) => sorted(Object.fromEntries(samples.map((s) => [key(s.metric, labels), s.value])))
const sorted = (counts: Record<string, number>) => Object.fromEntries(Object.entries(counts).sort(([a], [b]) => a.localeCompare(b)))
const same = (a: Record<string, number>, b: Record<string, number>) => JSON.stringify(sorted(a)) === JSON.stringify(sorted(b))

function ordersTraffic(): SentRequest[] {
  const requests: SentRequest[] = []
  for (let id = 1; id <= 25; id++) if (![13, 77, 88].includes(id)) requests.push(request(`/orders/${id}`))
  for (const sku of ['sku-apple', 'sku-kiwi', 'sku-pear']) {
    for (let n = 0; n < 2; n++) requests.push(request('/orders', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sku, quantity: 1 }) }))
  }
  for (let n = 0; n < 3; n++) requests.push(request('/health'))
  return requests
}

beforeAll(async () => {
  stack = await startStack()
  const start = async (count: number, namespace: string, vars: Record<string, string> = {}, specs = exampleFunctions) => {
    const started = await startIsolates(count, namespace, stack.otlpUrl, vars, specs)
    isolates.push(...started)
    return started
  }
  const shop = await start(3, 'shop')
  const errors = await start(1, 'errors')
  const slow = await start(1, 'slow')
  const exportFail = await start(1, 'exportfail', { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${stack.otlpUrl}/v1/traces-misspelled` })

  shopRequests.push(...(await drive(shop, ordersTraffic())))
  // Five rounds a second apart, as traffic comes, while Prometheus scrapes every second.
  for (let round = 0; round < 5; round++) {
    await Promise.all([
      drive(errors, [request('/orders/13'), request('/orders/13'), request('/orders/1'), request('/orders/2')]),
      drive(slow, [slowPost('/orders', '{"sku":"sku-apple","quantity":1}', 800), slowPost('/orders', '{"sku":"sku-kiwi","quantity":1}', 800)]),
      drive(exportFail, [request('/orders/3'), request('/orders/4')]),
      new Promise((r) => setTimeout(r, 1000)),
    ])
  }
  // A burst of new isolates of one function: 20 cold starts, 4 workerd processes at a time.
  const inventoryOnly = () => exampleFunctions().filter((spec) => spec.name === 'inventory')
  for (let batch = 0; batch < 5; batch++) {
    const started = await start(4, 'coldstarts', {}, inventoryOnly)
    await drive(started, started.map(() => request('/stock/sku-apple')))
  }
}, 600_000)

afterAll(async () => {
  await Promise.all(isolates.map((f) => f.dispose()))
  await stack?.stop()
})

describe('the Collector built from infra/stack/otelcol-builder.yaml', () => {
  it('has exactly the components infra/otel-collector.yaml uses', () => {
    const built = parse(execFileSync(stack.collectorBinary, ['components'], { encoding: 'utf8' }))
    const config = parse(readFileSync(COLLECTOR_CONFIG, 'utf8'))
    const kinds = ['receivers', 'processors', 'exporters', 'extensions'] as const
    const used = Object.fromEntries(kinds.map((kind) => [kind, [...new Set(Object.keys(config[kind] ?? {}).map((id) => id.split('/')[0]))].sort()]))
    const has = Object.fromEntries(kinds.map((kind) => [kind, (built[kind] ?? []).map((c: { name: string }) => c.name).sort()]))
    expect(has).toEqual(used)
  })
})

describe('request counts in Prometheus', () => {
  it('equal per function and route what the test sent, summed over 3 isolates by delta_to_cumulative', async () => {
    expect(shopRequests.map((r) => r.status).filter((s) => s !== 200 && s !== 201 && s !== 409)).toEqual([])
    const gets = shopRequests.filter((r) => r.path.startsWith('/orders/')).length
    const posts = shopRequests.filter((r) => r.path === '/orders').length
    const health = shopRequests.filter((r) => r.path === '/health').length
    const expected = {
      'shop/gateway /health': health,
      'shop/gateway /orders': posts,
      'shop/gateway /orders/:id': gets,
      'shop/inventory /stock/:sku': gets + posts,
      'shop/orders /orders': posts,
      'shop/orders /orders/:id': gets,
    }
    const query = 'sum by (job, http_route) (http_server_request_duration_seconds_count{job=~"shop/.*"})'
    let seen: Record<string, number> = {}
    await eventually(async () => {
      seen = table(await stack.prometheus.query(query), ['job', 'http_route'])
      return same(seen, expected)
    }, 30_000)
    expect(seen).toEqual(expected)

    // The recording rule counts each isolate's series from its first sample: all of them are new
    // within its 5-minute window, so rate × 300 is exactly the count.
    const rate = await stack.prometheus.query('job_route:http_server_requests:rate5m{job=~"shop/.*"} * 300')
    expect(Object.fromEntries(Object.entries(table(rate, ['job', 'http_route'])).map(([k, v]) => [k, Math.round(v * 1e6) / 1e6]))).toEqual(expected)

    const isolatesPerJob = await stack.prometheus.query('count by (job) (group by (job, instance) (http_server_request_duration_seconds_count{job=~"shop/.*"}))')
    expect(table(isolatesPerJob, ['job'])).toEqual({ 'shop/gateway': 3, 'shop/inventory': 3, 'shop/orders': 3 })
  })
})

interface JaegerSpan {
  spanID: string
  operationName: string
  processID: string
  references: Array<{ refType: string; traceID: string; spanID: string }>
}

interface JaegerTrace {
  traceID: string
  spans: JaegerSpan[]
  processes: Record<string, { serviceName: string }>
}

async function fetchTrace(traceId: string): Promise<JaegerTrace | undefined> {
  const response = await fetch(`${stack.jaegerUrl}/api/traces/${traceId}`)
  return response.ok ? ((await response.json()) as { data: JaegerTrace[] }).data[0] : undefined
}

const services = (trace: JaegerTrace) => [...new Set(trace.spans.map((s) => trace.processes[s.processID].serviceName))].sort()

/** The spans whose parent is not in the trace. */
function roots(trace: JaegerTrace): JaegerSpan[] {
  const ids = new Set(trace.spans.map((s) => s.spanID))
  return trace.spans.filter((s) => !s.references.some((r) => r.refType === 'CHILD_OF' && ids.has(r.spanID)))
}

describe('traces in Jaeger', () => {
  it('come back whole: every function of the request, every parent link intact', async () => {
    // gateway → orders → inventory; /health stays in the gateway.
    const expectedServices = (r: SentRequest) => (r.path === '/health' ? ['gateway'] : ['gateway', 'inventory', 'orders'])
    const problems: string[] = []
    const traces = new Map<SentRequest, JaegerTrace>()
    for (const sent of shopRequests) {
      let trace: JaegerTrace | undefined
      await eventually(async () => {
        trace = await fetchTrace(sent.traceId)
        return trace !== undefined && JSON.stringify(services(trace)) === JSON.stringify(expectedServices(sent))
      }, 30_000)
      if (!trace) {
        problems.push(`${sent.path} ${sent.traceId}: not in Jaeger`)
        continue
      }
      traces.set(sent, trace)
      if (JSON.stringify(services(trace)) !== JSON.stringify(expectedServices(sent))) problems.push(`${sent.path} ${sent.traceId}: services ${services(trace)}`)
      if (sent.path.startsWith('/orders/') && trace.spans.length !== orderTraceSize(sent.path)) problems.push(`${sent.path} ${sent.traceId}: ${trace.spans.length} spans`)
      // One root, the gateway's SERVER span, child of the test's own traceparent.
      const [root, ...more] = roots(trace)
      if (more.length || !root.references.some((r) => r.refType === 'CHILD_OF' && r.spanID === sent.parentSpanId)) {
        problems.push(`${sent.path} ${sent.traceId}: roots ${roots(trace).map((s) => `${s.operationName} ${JSON.stringify(s.references)}`).join('; ')}`)
      }
    }

    // An accepted order goes on through the order-placed queue: fulfillment's batch starts a trace
    // of its own, linked (FOLLOWS_FROM) to the producer span in the order's trace.
    const accepted = shopRequests.filter((r) => r.status === 201)
    expect(accepted.length).toBeGreaterThan(0)
    const producers = new Map(accepted.map((r) => [r, traces.get(r)?.spans.find((s) => s.operationName === 'send order-placed')?.spanID]))
    let consumerTraces: JaegerTrace[] = []
    await eventually(async () => {
      const response = await fetch(`${stack.jaegerUrl}/api/traces?service=fulfillment&lookback=1h&limit=1000`)
      consumerTraces = ((await response.json()) as { data: JaegerTrace[] }).data
      const linked = new Set(consumerTraces.flatMap((t) => t.spans.flatMap((s) => s.references.filter((r) => r.refType === 'FOLLOWS_FROM').map((r) => r.spanID))))
      return [...producers.values()].every((id) => id && linked.has(id))
    }, 30_000)
    for (const [sent, producer] of producers) {
      const consumer = consumerTraces.find((t) => t.spans.some((s) => s.references.some((r) => r.refType === 'FOLLOWS_FROM' && r.spanID === producer)))
      if (!producer || !consumer) {
        problems.push(`${sent.traceId}: ${producer ? 'no fulfillment trace links to its producer span' : 'no producer span'}`)
        continue
      }
      if (JSON.stringify(services(consumer)) !== '["fulfillment"]' || roots(consumer).length !== 1) {
        problems.push(`fulfillment trace ${consumer.traceID}: services ${services(consumer)}, ${roots(consumer).length} roots`)
      }
    }
    expect(problems).toEqual([])
  })
})

describe('recording rules and the dashboard', () => {
  it('every recording rule of infra/prometheus/rules.yml yields a series', async () => {
    const records = RULES.groups.flatMap((g) => g.rules).flatMap((r) => (r.record ? [r.record] : []))
    const empty: string[] = []
    await eventually(async () => {
      empty.length = 0
      for (const record of records) if ((await stack.prometheus.query(record)).length === 0) empty.push(record)
      return empty.length === 0
    }, 30_000)
    expect(empty).toEqual([])
  })

  it('every PromQL query of the Grafana dashboard returns data (all functions selected)', async () => {
    const exprs: string[] = DASHBOARD.panels.flatMap((p: { targets: Array<{ expr: string }> }) => p.targets.map((t) => t.expr))
    const empty: string[] = []
    await eventually(async () => {
      empty.length = 0
      for (const expr of exprs) if ((await stack.prometheus.query(expr.replaceAll('$job', '.+'))).length === 0) empty.push(expr)
      for (const variable of DASHBOARD.templating.list) {
        const [, metric, label] = /^label_values\((.+), *(\w+)\)$/.exec(variable.query.query)!
        if ((await stack.prometheus.labelValues(label, metric)).length === 0) empty.push(variable.query.query)
      }
      return empty.length === 0
    }, 30_000)
    expect(empty).toEqual([])
  })
})

describe('alerts', () => {
  const scenarios: Record<string, string[]> = {
    EdgeFunctionErrorRatioHigh: ['errors/gateway', 'errors/inventory', 'errors/orders'],
    EdgeFunctionLatencyP95High: ['slow/gateway'],
    TelemetryExportFailing: ['exportfail/gateway', 'exportfail/inventory', 'exportfail/orders'],
    EdgeFunctionColdStartSpike: ['coldstarts/inventory'],
  }

  it('each SLO alert fires in the scenario that breaks it, and only there', async () => {
    const firing = async () => {
      const alerts = (await stack.prometheus.alerts()).filter((a) => a.state === 'firing')
      const byName: Record<string, string[]> = {}
      for (const a of alerts) (byName[a.labels.alertname] ??= []).push(a.labels.job ?? '')
      for (const jobs of Object.values(byName)) jobs.sort()
      return byName
    }
    let seen: Record<string, string[]> = {}
    await eventually(async () => {
      seen = await firing()
      return Object.entries(scenarios).every(([name, jobs]) => jobs.every((job) => seen[name]?.includes(job)))
    }, 90_000)
    for (const [name, jobs] of Object.entries(scenarios)) expect(seen[name] ?? [], name).toEqual(expect.arrayContaining(jobs))
    // Nothing fires where nothing broke: no alert for the healthy shop, no alert outside its scenario.
    for (const [name, jobs] of Object.entries(seen)) {
      expect(jobs.filter((job) => !scenarios[name]?.some((expected) => job.split('/')[0] === expected.split('/')[0])), name).toEqual([])
    }
    expect(seen.CollectorRefusingTelemetry).toBeUndefined()

    // Order 13 fails at every hop; half of the errors scenario's requests asked for it.
    const ratio = await stack.prometheus.query('job:http_server_error_ratio:ratio_rate5m{job=~"errors/.*"}')
    expect(table(ratio, ['job'])).toEqual({ 'errors/gateway': 0.5, 'errors/inventory': 0.5, 'errors/orders': 0.5 })
  })

  it('the Collector alert reads the Collector\'s own metrics (none refused here)', async () => {
    const rule = RULES.groups.flatMap((g) => g.rules).find((r) => r.alert === 'CollectorRefusingTelemetry')!
    const [measured] = rule.expr.split(/\s*>\s*/)
    const samples = await stack.prometheus.query(measured)
    expect(samples.map((s) => s.value)).toEqual([0])
  })
})

describe('a Collector killed mid-run and restarted', () => {
  // Two isolates live through the same crash: "restart" is quiet once the Collector is back, so
  // its spilled batches are the next data of their streams; "late" serves requests at once, so its
  // live exports move its streams past what the queue replays a few seconds later.
  const routes = ['gateway /orders/:id', 'inventory /stock/:sku', 'orders /orders/:id']
  const expected = (namespace: string, n: number) => Object.fromEntries(routes.map((route) => [`${namespace}/${route}`, n]))
  let restartedAt = 0
  let quietCounts: Record<string, number> = {}
  const sent: SentRequest[] = []

  /** Per job and route, what the stored samples count: the last value of each Collector run, added. */
  const storedCounts = async (namespace: string, restart = restartedAt) => {
    const series = await stack.prometheus.samples(`http_server_request_duration_seconds_count{job=~"${namespace}/.*"}`, '10m')
    const totals: Record<string, number> = {}
    for (const s of series) {
      const before = s.values.filter(([t]) => t * 1000 < restart).at(-1)?.[1] ?? 0
      const after = s.values.filter(([t]) => t * 1000 >= restart).at(-1)?.[1] ?? 0
      const k = key(s.metric, ['job', 'http_route'])
      totals[k] = (totals[k] ?? 0) + before + after
    }
    return totals
  }
  const orders = (from: number) => Array.from({ length: 10 }, (_, i) => request(`/orders/${from + i}`))
  const allServed = (requests: SentRequest[]) => {
    sent.push(...requests)
    expect(requests.map((r) => r.status)).toEqual(Array(requests.length).fill(200))
  }

  beforeAll(async () => {
    // The late isolate's spill queue hands its batches to the replay only after 15 s (or 100 messages), so
    // its live exports after the restart come first however fast or loaded the machine is: without it,
    // a replay retried just as the Collector came back could win the race, and nothing would be dropped.
    const lateSpecs = () =>
      exampleFunctions().map((spec) => {
        const spill = spec.queueConsumers?.['otel-spill']
        return spill ? { ...spec, queueConsumers: { ...spec.queueConsumers, 'otel-spill': { ...spill, maxBatchTimeout: 15, maxBatchSize: 100 } } } : spec
      })
    const [quiet, late] = await Promise.all([
      startIsolates(1, 'restart', stack.otlpUrl, { EDGE_OTEL_RETRY_DEADLINE: '1500' }),
      startIsolates(1, 'late', stack.otlpUrl, { EDGE_OTEL_RETRY_DEADLINE: '1500' }, lateSpecs),
    ])
    isolates.push(...quiet, ...late)
    allServed(await drive(quiet, orders(100)))
    allServed(await drive(late, orders(100)))
    let seen: Record<string, number> = {}
    await eventually(async () => same({ ...(seen = await storedCounts('restart', Infinity)), ...(await storedCounts('late', Infinity)) }, { ...expected('restart', 10), ...expected('late', 10) }), 30_000)
    expect(seen).toEqual(expected('restart', 10))

    await stack.killCollector()
    allServed(await drive(quiet, orders(200)))
    allServed(await drive(late, orders(200)))
    // Live exports give up after EDGE_OTEL_RETRY_DEADLINE and spill to the queue.
    await new Promise((r) => setTimeout(r, 4000))
    restartedAt = Date.now()
    await stack.startCollector()
    allServed(await drive(late, orders(300)))

    await eventually(async () => same((quietCounts = await storedCounts('restart')), expected('restart', 20)), 90_000)
  }, 180_000)

  it('with the spill queue bound, the samples Prometheus stored add up to what was sent', async () => {
    expect(quietCounts).toEqual(expected('restart', 20))
    // They came back through the spill queue: the gateway's queue handler replayed them.
    const replayed = await stack.prometheus.query('sum({__name__=~"edge_otel_exporter_replayed.*", job=~"restart/.*"})')
    expect(replayed[0]?.value).toBeGreaterThan(0)
  })

  it('a replay older than its stream\'s newest data is dropped by delta_to_cumulative, and CollectorDroppingDeltas fires; traces all arrive', async () => {
    let firing = false
    await eventually(async () => (firing = (await stack.prometheus.alerts()).some((a) => a.labels.alertname === 'CollectorDroppingDeltas' && a.state === 'firing')), 60_000)
    expect(firing).toBe(true)
    const dropped = await stack.prometheus.query('sum by (error) ({__name__=~"otelcol_deltatocumulative_datapoints(_total)?", error!=""})')
    expect(table(dropped, ['error'])).toEqual({ 'delta.ErrOlderStart': expect.any(Number) })
    // Spans have no such order: every trace of both isolates is whole in Jaeger, replayed ones too.
    const broken: string[] = []
    for (const request of sent) {
      let trace: JaegerTrace | undefined
      const whole = (t: JaegerTrace | undefined) => t !== undefined && t.spans.length === orderTraceSize(request.path) && services(t).length === 3 && roots(t).length === 1
      await eventually(async () => whole((trace = await fetchTrace(request.traceId))), 30_000)
      if (!whole(trace)) broken.push(`${request.path} ${request.traceId}`)
    }
    expect(broken).toEqual([])
    // What is lost: the requests served while the Collector was down (30 sent; the quiet isolate kept all 20).
    console.log(`[stack] late isolate, 30 requests sent, counted: ${JSON.stringify(await storedCounts('late'))}; dropped: ${JSON.stringify(table(dropped, ['error']))}`)
  })
})
