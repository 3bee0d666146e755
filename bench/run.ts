// `npm run bench`: the same app bare, with edge-otel, and with the peers, each in its own workerd
// process pinned to one core, loaded by wrk from the other core in short windows. Every variant's
// window sits between two bare windows, many times over, and each row is the median of its per-pair
// ratios with their IQR. A second bare process, measured like any variant (the null row), gauges the
// run's noise. The bare windows go round one bare process per other variant, and every process is
// replaced by a fresh one twice in a run. All telemetry goes to real OTLP receivers on 127.0.0.1 in a
// child process. Writes bench/runs/<time>.json and bench/results.md (method: docs/performance.md).
// BENCH_QUICK=1: 5 pairs of 1 s windows on one set of processes, for development; results.md is left alone.
import { execFileSync } from 'node:child_process'
import { mkdirSync, writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { resolve } from 'node:path'
import { buildLibrary } from '../middleware/build.ts'
import type { RunRecord, VariantInfo, WindowSample } from './analysis.ts'
import { ROOT, bundleVariant } from './build.ts'
import { evaluationMs } from './eval.ts'
import { CONNECTIONS, requireWrk, warmUp, wrk } from './load.ts'
import { measureWindow, pin, quiesce } from './machine.ts'
import { startReceivers } from './receivers.ts'
import { writeResults } from './report.ts'
import { random, schedule, shuffle } from './schedule.ts'
import { KV_KEYS } from './variants/binding-calls.ts'
import { type RunningWorker, type WorkerResources, startWorker } from './workerd.ts'

const QUICK = process.env.BENCH_QUICK === '1'
const PAIRS = Number(process.env.BENCH_PAIRS ?? (QUICK ? 5 : 30))
/** The peers' rows and the API-only reference sit far from every goal: a third of the pairs keeps a full run under 30 minutes. */
const FEW_PAIRS = Math.max(1, Math.round(PAIRS / 3))
const WINDOW_SECONDS = Number(process.env.BENCH_WINDOW ?? (QUICK ? 1 : 2))
const WARM_UP_MS = Number(process.env.BENCH_WARMUP_MS ?? 100)
const MAX_STEAL = Number(process.env.BENCH_MAX_STEAL ?? 0.05)
/** Sets of processes a run goes through, each replaced by fresh processes at an even round boundary. */
const GENERATIONS = Number(process.env.BENCH_GENERATIONS ?? (QUICK ? 1 : 3))
const EVAL_RUNS = 5
const PATH = '/hello/world'
const COMPATIBILITY_DATE = '2026-08-01'
const SERVER_CORE = 0
const LOAD_CORE = cpus().length > 1 ? 1 : 0
const CORES = { server: SERVER_CORE, load: LOAD_CORE }

interface Variant extends Omit<VariantInfo, 'bundleBytes'> {
  /** Pairs of this row when fewer than the run's (the peers and the API-only reference, far from any goal). */
  pairs?: number
  define?: Record<string, string>
  /** Env bindings beside the endpoint. */
  bindings?: Record<string, string>
  /** KV and D1 bindings, filled before the load. */
  resources?: WorkerResources
}

/** The KV namespace and D1 database the binding variants read (bench/variants/binding-calls.ts). */
const SHOP: WorkerResources = {
  kvNamespaces: { KV: 'kv' },
  d1Databases: { DB: 'db' },
  async seed(mf, worker) {
    const kv = await mf.getKVNamespace('KV', worker)
    for (const [i, key] of KV_KEYS.entries()) await kv.put(key, String(10 * (i + 1)))
    const db = await mf.getD1Database('DB', worker)
    await db.exec('CREATE TABLE orders (id INTEGER PRIMARY KEY, sku TEXT NOT NULL, quantity INTEGER NOT NULL)')
    await db.prepare('INSERT INTO orders VALUES (7, ?, 2)').bind('sku-plum').run()
  },
}

const ALL_VARIANTS: Variant[] = [
  { name: 'bare Hono', entry: 'variants/bare.ts', role: 'bare' },
  { name: 'bare Hono again, a second process: the null gauge', entry: 'variants/bare.ts', role: 'null' },
  { name: 'edge-otel, traces and metrics', entry: 'variants/edge-otel.ts', role: 'goal' },
  {
    name: 'edge-otel, traces and metrics through the SDK OTLP exporters (edge-otel/sdk)',
    entry: 'variants/edge-otel-sdk.ts',
    // Only the SDK exporters export: no endpoint for the built-in one.
    bindings: { OTEL_EXPORTER_OTLP_ENDPOINT: '' },
    role: 'other',
  },
  {
    name: 'edge-otel, every signal: traces, metrics and logs (a log line per request, console capture) †',
    entry: 'variants/edge-otel-logs.ts',
    role: 'goal',
    against: 'variants/bare-logging.ts',
  },
  {
    name: 'edge-otel, all on: every signal + tail sampling at ratio 0.1 †',
    entry: 'variants/edge-otel-all.ts',
    bindings: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' },
    role: 'goal',
    against: 'variants/bare-logging.ts',
  },
  { name: '(reference) bare Hono writing the same JSON log line per request', entry: 'variants/bare-logging.ts', role: 'reference' },
  {
    name: 'edge-otel, traces and metrics, on 3 KV reads + 1 D1 query per request ‡',
    entry: 'variants/edge-otel-bindings.ts',
    role: 'goal',
    against: 'variants/bare-bindings.ts',
    resources: SHOP,
  },
  { name: '(reference) bare Hono making the same 3 KV reads + 1 D1 query per request', entry: 'variants/bare-bindings.ts', role: 'reference', resources: SHOP },
  {
    name: 'edge-otel, every trace sampled out (OTEL_TRACES_SAMPLER=always_off): metrics only',
    entry: 'variants/edge-otel.ts',
    bindings: { OTEL_TRACES_SAMPLER: 'always_off' },
    role: 'other',
  },
  { name: '(reference) bare Hono + @opentelemetry/api, nothing recorded', entry: 'variants/api-only.ts', role: 'reference', pairs: FEW_PAIRS },
  { name: '@hono/otel + OTel SDK, traces only', entry: 'variants/hono-otel-sdk.ts', define: { WITH_METRICS: 'false' }, role: 'peer', pairs: FEW_PAIRS },
  { name: '@microlabs/otel-cf-workers, traces only', entry: 'variants/otel-cf-workers.ts', role: 'peer', pairs: FEW_PAIRS },
  { name: '@hono/otel + OTel SDK, traces and metrics', entry: 'variants/hono-otel-sdk.ts', define: { WITH_METRICS: 'true' }, role: 'peer', pairs: FEW_PAIRS },
]

// BENCH_VARIANTS=edge-otel,bare-logging runs a subset (matched against entry file names) beside bare,
// the null gauge, and the references the chosen rows are taken against.
const only = process.env.BENCH_VARIANTS?.split(',')
const chosen = (v: Variant) => only!.some((o) => v.entry.includes(o))
const VARIANTS = only
  ? ALL_VARIANTS.filter((v) => v.role === 'bare' || v.role === 'null' || chosen(v) || ALL_VARIANTS.some((w) => chosen(w) && w.against === v.entry))
  : ALL_VARIANTS

function commit(): string {
  const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT }).toString().trim()
  return `${git('rev-parse', '--short', 'HEAD')}${git('status', '--porcelain', '--', 'middleware', 'bench') ? ' (uncommitted changes)' : ''}`
}

requireWrk()
const started = performance.now()
// This process, wrk and the receivers share one core; every workerd gets the other.
pin(process.pid, LOAD_CORE)
// One bare process per other variant, so each process is loaded once per round.
const BASELINES = VARIANTS.length - 1
const windows = schedule(VARIANTS.length, PAIRS, { baselines: BASELINES, generations: GENERATIONS, roundsOf: VARIANTS.map((v) => v.pairs ?? PAIRS) })
const perWindow = WINDOW_SECONDS + WARM_UP_MS / 1000 + 0.3
const perProcess = 1.5 // starting it, and a 1 s warm-up
const loadSeconds = windows.length * perWindow + GENERATIONS * (VARIANTS.length + BASELINES - 1) * perProcess
console.log(
  `${VARIANTS.length} variants, ${PAIRS} pairs each (${FEW_PAIRS} for the peers and the API-only reference), ${windows.length} windows of ${WINDOW_SECONDS} s: about ${Math.ceil(loadSeconds / 60)} minutes of load. Building…`,
)
await buildLibrary()
const bundles = await Promise.all(VARIANTS.map((v) => bundleVariant(resolve(ROOT, 'bench', v.entry), v.define)))

console.log('Timing script evaluation…')
const evaluation = VARIANTS.map(() => [] as number[])
const next = random(2)
for (let round = 0; round < PAIRS; round++) {
  for (const i of shuffle(VARIANTS.map((_, i) => i), next)) evaluation[i].push(evaluationMs(bundles[i].cjs, EVAL_RUNS))
}

const receivers = await startReceivers(VARIANTS.length)
const served = VARIANTS.map(() => 0)
const samples: WindowSample[] = []

/** One workerd process per variant, and the bare processes that the bare windows take in turn. */
interface ProcessSet {
  workers: RunningWorker[]
  baselines: RunningWorker[]
}

async function startProcesses(generation: number): Promise<ProcessSet> {
  const start = (name: string, i: number) => {
    const bindings = { OTEL_EXPORTER_OTLP_ENDPOINT: receivers.urls[i], RECEIVER_URL: receivers.urls[i], ...VARIANTS[i].bindings }
    return startWorker(`g${generation}-${name}`, bundles[i].esm, bindings, COMPATIBILITY_DATE, SERVER_CORE, VARIANTS[i].resources)
  }
  const set: ProcessSet = { workers: [], baselines: [] }
  for (const i of VARIANTS.keys()) set.workers.push(await start(`v${i}`, i))
  set.baselines.push(set.workers[0])
  while (set.baselines.length < BASELINES) set.baselines.push(await start(`bare${set.baselines.length}`, 0))
  for (const [i, worker] of [...set.workers.entries(), ...set.baselines.slice(1).map((w) => [0, w] as const)]) {
    served[i] += await warmUp(`${worker.url}${PATH}`, 1000)
    await quiesce(() => worker.cpuSeconds())
  }
  return set
}

const stopProcesses = (set: ProcessSet) => Promise.all([...set.workers, ...set.baselines.slice(1)].map((w) => w.dispose()))

let processes: ProcessSet | undefined
try {
  console.log(`Loading: workerd on core ${SERVER_CORE}; wrk, receivers and this process on core ${LOAD_CORE}.`)
  let generation = -1
  for (const [k, { variant, round, generation: g, baseline }] of windows.entries()) {
    if (g !== generation) {
      const previous = processes
      processes = undefined
      if (previous) await stopProcesses(previous)
      processes = await startProcesses(g)
      generation = g
    }
    const worker = variant === 0 ? processes!.baselines[baseline!] : processes!.workers[variant]
    const url = `${worker.url}${PATH}`
    served[variant] += await warmUp(url, WARM_UP_MS)
    const { at, ...sample } = await measureWindow({ variant, round, generation: g, baseline }, () => worker.cpuSeconds(), CORES, () => wrk(url, WINDOW_SECONDS))
    served[variant] += sample.requests
    samples.push({ ...at, ...sample })
    if (windows[k + 1]?.round !== round) console.log(`round ${round + 1}/${PAIRS} done, ${((performance.now() - started) / 60000).toFixed(1)} min`)
  }
  await receivers.idle(500)
} finally {
  if (processes) await stopProcesses(processes)
}
const exports = await receivers.counts()
await receivers.close()

const record: RunRecord = {
  date: new Date().toISOString(),
  commit: commit(),
  machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown' },
  settings: {
    pairs: PAIRS,
    windowSeconds: WINDOW_SECONDS,
    warmUpMs: WARM_UP_MS,
    connections: CONNECTIONS,
    baselines: BASELINES,
    generations: GENERATIONS,
    serverCore: SERVER_CORE,
    loadCore: LOAD_CORE,
    receiver: process.env.BENCH_RECEIVER === 'inline' ? 'inline' : 'child process',
    maxSteal: MAX_STEAL,
    quick: QUICK,
  },
  variants: VARIANTS.map((v, i) => ({ name: v.name, entry: v.entry, role: v.role, against: v.against, bundleBytes: bundles[i].gzipBytes })),
  windows: samples,
  evaluation,
  served,
  exports,
  seconds: (performance.now() - started) / 1000,
}
mkdirSync(resolve(ROOT, 'bench/runs'), { recursive: true })
const file = resolve(ROOT, `bench/runs/${record.date.replace(/[:.]/g, '-')}${QUICK ? '-quick' : ''}.json`)
// Six significant digits are far finer than any figure the tables show.
writeFileSync(file, `${JSON.stringify(record, (_, v) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(6)) : v))}\n`)
console.log(`\n${writeResults(record)}\n\nRaw windows: ${file}`)
