// `npm run bench`: the same app bare, with edge-otel, and with the peers, each in its own workerd
// process on loopback, under the same bounded wrk load, in alternating rounds. All telemetry goes
// to a real OTLP receiver on 127.0.0.1. Ratios are taken against bare Hono within each round.
import { execFileSync, spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { startReceiver } from '../infra/receiver/server.ts'
import { buildLibrary } from '../middleware/build.ts'
import { ROOT, bundleVariant } from './build.ts'
import { evaluationMs } from './eval.ts'
import { BUNDLE_GOALS_KIB, GOALS } from './goals.ts'
import { startWorker } from './workerd.ts'

const DURATION = Number(process.env.BENCH_DURATION ?? 10)
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3)
const CONNECTIONS = 8
const PATH = '/hello/world'
const COMPATIBILITY_DATE = '2026-08-01'

interface Variant {
  name: string
  entry: string
  define?: Record<string, string>
  /** Env bindings beside the endpoint. */
  bindings?: Record<string, string>
  goals?: boolean
  /**
   * The bare app doing the same work in user code (the same log line), when that is not plain bare
   * Hono: throughput, CPU and eval ratios are taken against it, so they show what the telemetry adds.
   */
  against?: string
}

const ALL_VARIANTS: Variant[] = [
  { name: 'bare Hono', entry: 'variants/bare.ts' },
  { name: 'edge-otel, traces and metrics', entry: 'variants/edge-otel.ts', goals: true },
  {
    name: 'edge-otel, every signal: traces, metrics and logs (a log line per request, console capture) †',
    entry: 'variants/edge-otel-logs.ts',
    goals: true,
    against: 'variants/bare-logging.ts',
  },
  {
    name: 'edge-otel, all on: every signal + tail sampling at ratio 0.1 †',
    entry: 'variants/edge-otel-all.ts',
    bindings: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' },
    goals: true,
    against: 'variants/bare-logging.ts',
  },
  { name: '(reference) bare Hono writing the same JSON log line per request', entry: 'variants/bare-logging.ts' },
  {
    name: 'edge-otel, every trace sampled out (OTEL_TRACES_SAMPLER=always_off): metrics only',
    entry: 'variants/edge-otel.ts',
    bindings: { OTEL_TRACES_SAMPLER: 'always_off' },
  },
  { name: '(reference) bare Hono + @opentelemetry/api, nothing recorded', entry: 'variants/api-only.ts' },
  { name: '@hono/otel + OTel SDK, traces only', entry: 'variants/hono-otel-sdk.ts', define: { WITH_METRICS: 'false' } },
  { name: '@microlabs/otel-cf-workers, traces only', entry: 'variants/otel-cf-workers.ts' },
  { name: '@hono/otel + OTel SDK, traces and metrics', entry: 'variants/hono-otel-sdk.ts', define: { WITH_METRICS: 'true' } },
]

// BENCH_VARIANTS=edge-otel,bare-logging runs a subset (matched against entry file names); bare always runs first.
const only = process.env.BENCH_VARIANTS?.split(',')
const chosen = (v: Variant) => only!.some((o) => v.entry.includes(o))
const VARIANTS = only
  ? ALL_VARIANTS.filter((v, i) => i === 0 || chosen(v) || ALL_VARIANTS.some((w) => chosen(w) && w.against === v.entry))
  : ALL_VARIANTS

/** Runs wrk without blocking this process, whose event loop serves the OTLP receiver meanwhile. */
async function wrk(url: string, seconds: number): Promise<{ requests: number; errors: number }> {
  const out = await new Promise<string>((resolveRun, reject) => {
    const child = spawn('wrk', ['-t2', `-c${CONNECTIONS}`, `-d${seconds}s`, url])
    let text = ''
    child.stdout.on('data', (d) => (text += d))
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolveRun(text) : reject(new Error(`wrk exited with ${code}`))))
  })
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0)
  const errors = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) + Number(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)?.slice(1).reduce((a, b) => a + Number(b), 0) ?? 0)
  return { requests, errors }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

try {
  execFileSync('wrk', ['--version'], { stdio: 'ignore' })
} catch (error) {
  if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
    console.error('npm run bench needs wrk: apt-get install wrk (Debian/Ubuntu) or brew install wrk.')
    process.exit(1)
  }
}

console.log(`Building ${VARIANTS.length} variants…`)
await buildLibrary()
const bundles = await Promise.all(VARIANTS.map((v) => bundleVariant(resolve(ROOT, 'bench', v.entry), v.define)))

console.log('Timing script evaluation…')
const evaluation = VARIANTS.map(() => [] as number[])
for (let round = 0; round < 5; round++) {
  VARIANTS.forEach((_, i) => evaluation[i].push(evaluationMs(bundles[i].cjs, 15)))
}

const receiver = await startReceiver({ strictJson: false })
const workers = []
for (const [i, v] of VARIANTS.entries()) {
  const bindings = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, RECEIVER_URL: receiver.url, ...v.bindings }
  workers.push(await startWorker(`v${i}`, bundles[i].esm, bindings, COMPATIBILITY_DATE))
}

interface Sample {
  rps: number
  cpuPerRequest: number
  postsPerRequest: number
  bytesPerRequest: number
  spansPerRequest: number
  pointsPerRequest: number
  errors: number
}
const samples: Sample[][] = VARIANTS.map(() => [])

for (let round = 0; round < ROUNDS; round++) {
  const order = VARIANTS.map((_, i) => (i + round) % VARIANTS.length)
  for (const i of order) {
    const worker = workers[i]
    const url = `${worker.url}${PATH}`
    await wrk(url, 2)
    await receiver.idle(1000)
    const posts = receiver.requests.length
    const bytes = receiver.requests.reduce((n, r) => n + r.wireBytes, 0)
    const spans = receiver.spans.length
    const points = serverPoints()
    const cpu = worker.cpuSeconds()
    const { requests, errors } = await wrk(url, DURATION)
    const cpuUsed = worker.cpuSeconds() - cpu
    await receiver.idle(1000)
    const n = Math.max(requests, 1)
    samples[i].push({
      rps: requests / DURATION,
      cpuPerRequest: cpuUsed / n,
      postsPerRequest: (receiver.requests.length - posts) / n,
      bytesPerRequest: (receiver.requests.reduce((s, r) => s + r.wireBytes, 0) - bytes) / n,
      spansPerRequest: (receiver.spans.length - spans) / n,
      pointsPerRequest: (serverPoints() - points) / n,
      errors,
    })
    console.log(`round ${round + 1} ${VARIANTS[i].name}: ${(requests / DURATION).toFixed(0)} req/s`)
    // Keep memory flat across rounds: only counts are needed.
    receiver.spans.length = 0
    receiver.metrics.length = 0
  }
}

function serverPoints(): number {
  let n = 0
  for (const m of receiver.metrics) {
    if (m.name === 'http.server.request.duration') for (const p of m.points) n += p.count ?? 0
  }
  return n
}

await Promise.all(workers.map((w) => w.dispose()))
await receiver.close()

// Each ratio is taken against bare Hono (or the variant's `against` reference) in the same round,
// then the median over rounds is reported.
const baseOf = (i: number) => Math.max(0, VARIANTS.findIndex((v) => v.entry === VARIANTS[i].against))
const ratio = (i: number, key: keyof Sample, base = baseOf(i)) => median(samples[i].map((s, r) => s[key] / samples[base][r][key]))
const evalRatio = (i: number, base = baseOf(i)) => median(evaluation[i].map((e, r) => e / evaluation[base][r]))
const fmt = (n: number, digits = 2) => n.toFixed(digits)
const bareEval = median(evaluation[0])
const rows = VARIANTS.map((v, i) => {
  const s = samples[i]
  const cpuUs = median(s.map((x) => x.cpuPerRequest)) * 1e6
  const evalMs = median(evaluation[i])
  return {
    v,
    throughput: ratio(i, 'rps'),
    cpu: ratio(i, 'cpuPerRequest'),
    bareThroughput: ratio(i, 'rps', 0),
    bareCpu: ratio(i, 'cpuPerRequest', 0),
    bareEvaluation: evalRatio(i, 0),
    cpuUs,
    posts: median(s.map((x) => x.postsPerRequest)),
    bundleKiB: bundles[i].gzipBytes / 1024,
    evaluation: evalRatio(i),
    evalMs,
    bytes: median(s.map((x) => x.bytesPerRequest)),
    spans: median(s.map((x) => x.spansPerRequest)),
    points: median(s.map((x) => x.pointsPerRequest)),
    errors: s.reduce((n, x) => n + x.errors, 0),
    rps: median(s.map((x) => x.rps)),
  }
})

const mark = (ok: boolean) => (ok ? '✓' : '✗')
/** A row with a budget of its own (tail sampling) is marked against it, and says so when over the goal. */
function bundleCell(entry: string, kib: number, cell: (text: string, ok: boolean) => string): string {
  const budget = BUNDLE_GOALS_KIB[entry] ?? GOALS.bundleKiB
  const own = budget === GOALS.bundleKiB ? '' : ` (own budget ${budget} KiB${kib > GOALS.bundleKiB ? `; over ${GOALS.bundleKiB}` : ''})`
  return `${cell(`${fmt(kib, 2)} KiB`, kib <= budget)}${own}`
}
const lines = [
  `| variant | throughput vs bare | server CPU per request vs bare | export POSTs per request | bundle gzip (min, ESM) | script eval vs bare | OTLP bytes per request | spans per request |`,
  `|---|---|---|---|---|---|---|---|`,
  ...rows.map((r) => {
    const g = r.v.goals
    const cell = (text: string, ok: boolean) => (g ? `${text} ${mark(ok)}` : text)
    // Against a reference: the plain-bare ratio beside it.
    const bare = (n: number) => (r.v.against ? `bare ${fmt(n)}; ` : '')
    return `| ${r.v.name} | ${cell(fmt(r.throughput), r.throughput >= GOALS.throughput)} (${bare(r.bareThroughput)}${fmt(r.rps, 0)}/s) | ${cell(fmt(r.cpu), r.cpu <= GOALS.cpu)} (${bare(r.bareCpu)}${fmt(r.cpuUs, 0)} µs) | ${cell(fmt(r.posts, 3), r.posts <= GOALS.posts)} | ${bundleCell(r.v.entry, r.bundleKiB, cell)} | ${cell(fmt(r.evaluation), r.evaluation <= GOALS.evaluation)} (${bare(r.bareEvaluation)}${fmt(r.evalMs)} ms) | ${cell(fmt(r.bytes, 0), r.bytes <= GOALS.bytes)} | ${fmt(r.spans, 3)} |`
  }),
]
const ours = rows.find((r) => r.v.goals)!
const footer = [
  '',
  `wrk -t2 -c${CONNECTIONS} -d${DURATION}s on GET ${PATH}, ${ROUNDS} rounds in rotating order; medians of per-round ratios.`,
  `edge-otel data points of http.server.request.duration per request: ${fmt(ours.points, 3)}; non-2xx or socket errors over all runs: ${rows.map((r) => r.errors).join('/')}.`,
  '† Throughput, CPU and eval against the reference app that writes the same log line with console.log (plain-bare ratios in brackets): the line itself is user work, not telemetry.',
  `Goals (edge-otel): throughput ≥ ${GOALS.throughput}, CPU ≤ ${GOALS.cpu}, POSTs ≤ ${GOALS.posts}, bundle ≤ ${GOALS.bundleKiB} KiB (tail sampling ≤ ${BUNDLE_GOALS_KIB['variants/edge-otel-all.ts']} KiB), eval ≤ ${GOALS.evaluation}, bytes ≤ ${GOALS.bytes}.`,
]
const table = [...lines, ...footer].join('\n')
console.log(`\n${table}`)
writeFileSync(resolve(ROOT, 'bench/results.md'), `# Latest \`npm run bench\`\n\n${new Date().toISOString().slice(0, 10)}, ${process.platform} ${process.arch}, ${(await import('node:os')).cpus().length} cores.\n\n${table}\n`)
