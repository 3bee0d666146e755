// In-process microbenchmark of the middleware alone: ns and allocated bytes per request, against
// the same app without it, in one Node process. The exporter encodes every batch as usual and
// hands it to a transport that drops it, so encoding is counted and the network is not.
// Run with `npm run bench:micro`. Allocated bytes = heap growth plus what each GC in between freed,
// read with v8.GCProfiler.
import { existsSync, readFileSync, writeFileSync } from 'node:fs'
import { GCProfiler } from 'node:v8'
import { Hono } from 'hono'
import { otel } from '../middleware/index.ts'

const REQUESTS = Number(process.env.MICRO_REQUESTS ?? 20_000)
const BATCH = 64 // requests whose exports are awaited together, as requests ending close together share one
const ROUNDS = 7

function bareApp() {
  const app = new Hono()
  app.get('/hello/:param', (c) => c.text(`Hello ${c.req.param('param')}`))
  return app
}

function tracedApp() {
  const app = new Hono()
  app.use(otel({ serviceName: 'bench', transport: { send: async () => {} }, instrumentGlobalFetch: false, batchDelay: 0 }))
  app.get('/hello/:param', (c) => c.text(`Hello ${c.req.param('param')}`))
  return app
}

const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }

async function run(app: Hono, n: number): Promise<void> {
  let pending: Promise<unknown>[] = []
  const ctx = { waitUntil: (p: Promise<unknown>) => void pending.push(p), passThroughOnException() {}, props: {} } as unknown as ExecutionContext
  for (let i = 0; i < n; i++) {
    const response = await app.fetch(new Request(`http://127.0.0.1:8787/hello/world${i & 7}`), env, ctx)
    await response.arrayBuffer()
    if ((i + 1) % BATCH === 0) {
      await Promise.all(pending)
      pending = []
    }
  }
  await Promise.all(pending)
}

async function measure(app: Hono): Promise<{ ns: number; bytes: number }> {
  await run(app, 2_000) // warm up: compile, and let the JIT settle
  const start = process.hrtime.bigint()
  await run(app, REQUESTS)
  const ns = Number(process.hrtime.bigint() - start) / REQUESTS
  const profiler = new GCProfiler()
  const heapBefore = process.memoryUsage().heapUsed
  profiler.start()
  await run(app, 5_000)
  const heapAfter = process.memoryUsage().heapUsed
  const { statistics } = profiler.stop()
  let freed = 0
  for (const gc of statistics) freed += gc.beforeGC.heapStatistics.usedHeapSize - gc.afterGC.heapStatistics.usedHeapSize
  return { ns, bytes: (heapAfter - heapBefore + freed) / 5_000 }
}

const bare = bareApp()
const traced = tracedApp()
const results = { bare: [] as number[], traced: [] as number[], bareBytes: [] as number[], tracedBytes: [] as number[] }
for (let round = 0; round < ROUNDS; round++) {
  for (const [name, app] of round % 2 ? ([['traced', traced], ['bare', bare]] as const) : ([['bare', bare], ['traced', traced]] as const)) {
    const { ns, bytes } = await measure(app)
    results[name].push(ns)
    results[`${name}Bytes`].push(bytes)
  }
}
const median = (a: number[]) => (a.length ? [...a].sort((x, y) => x - y)[a.length >> 1] : NaN)
const bareNs = median(results.bare)
const tracedNs = median(results.traced)
const ratios = results.traced.map((t, i) => t / results.bare[i])
const table = [
  `| app | ns per request | allocated bytes per request |`,
  `|---|---|---|`,
  `| bare Hono | ${bareNs.toFixed(0)} | ${median(results.bareBytes).toFixed(0)} |`,
  `| with edge-otel | ${tracedNs.toFixed(0)} (${median(ratios).toFixed(2)}× bare) | ${median(results.tracedBytes).toFixed(0)} (+${(median(results.tracedBytes) - median(results.bareBytes)).toFixed(0)}) |`,
  '',
  `Node ${process.version} with --experimental-async-context-frame, ${REQUESTS} requests per round, ${ROUNDS} alternating rounds, medians; exports awaited every ${BATCH} requests.`,
].join('\n')
console.log(table)
// Kept beside the workerd tables that `npm run bench` writes first; a quick run (BENCH_QUICK=1) leaves them alone.
if (process.env.BENCH_QUICK !== '1') {
  const resultsFile = new URL('results.md', import.meta.url)
  const previous = existsSync(resultsFile) ? readFileSync(resultsFile, 'utf8').split('\n## In-process')[0].trimEnd() : '# `npm run bench`'
  writeFileSync(resultsFile, `${previous}\n\n## In-process microbenchmark (\`npm run bench:micro\`)\n\n${table}\n`)
}
