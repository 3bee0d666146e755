// `npm run bench:deno`: the same Hono app on Deno bare, with edge-otel (otelAnywhere), and with Deno's
// built-in OpenTelemetry (OTEL_DENO=true), each in its own Deno process pinned to one core (all its
// threads: Deno's exporter threads share the core with the server, as ours do), exporting to its own
// real OTLP receiver (bench/receivers.ts) and loaded by wrk from the other core. The method is the
// workerd bench's (bench/run.ts): every variant's window sits between two bare windows (bench/schedule.ts),
// the bare windows go round one bare process per other variant so every process is loaded once per round,
// all processes are replaced at even round boundaries, and a row is the median of its per-pair ratios
// with their IQR (bench/analysis.ts); the null row, a second bare process measured as a variant, is the
// run's resolution. Writes bench/deno-results.md.
// BENCH_ROUNDS (default 20), BENCH_WINDOW seconds (default 1), BENCH_GENERATIONS (default 2).
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { resolve } from 'node:path'
import { buildLibrary } from '../middleware/build.ts'
import { type RunRecord, type VariantInfo, type WindowSample, analyse } from './analysis.ts'
import { ROOT } from './build.ts'
import { CONNECTIONS, requireWrk, warmUp, wrk } from './load.ts'
import { measureWindow, pin, processCpuSeconds, quiesce } from './machine.ts'
import { startReceivers } from './receivers.ts'
import { schedule } from './schedule.ts'
import { type Spread, spread } from './stats.ts'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 20)
const WINDOW_SECONDS = Number(process.env.BENCH_WINDOW ?? 1)
const GENERATIONS = Number(process.env.BENCH_GENERATIONS ?? 2)
const WARM_UP_MS = 100
const MAX_STEAL = 0.05
const SERVER_CORE = 0
const LOAD_CORE = cpus().length > 1 ? 1 : 0
const CORES = { server: SERVER_CORE, load: LOAD_CORE }
const PATH = '/hello/world'
const DENO = resolve(ROOT, 'node_modules/.bin/deno')

interface Variant extends Pick<VariantInfo, 'name' | 'role'> {
  env: Record<string, string>
}

const VARIANTS: Variant[] = [
  { name: 'bare Hono on Deno.serve', role: 'bare', env: {} },
  { name: 'bare again, a second process: the null gauge', role: 'null', env: {} },
  { name: 'edge-otel (otelAnywhere), traces and metrics', role: 'goal', env: { EDGE_OTEL: '1' } },
  // Deno's own exports uncompressed (the spec's default); edge-otel gzips unless told not to.
  { name: 'edge-otel, OTEL_EXPORTER_OTLP_COMPRESSION=none', role: 'other', env: { EDGE_OTEL: '1', OTEL_EXPORTER_OTLP_COMPRESSION: 'none' } },
  // The same, with the export's gzip on a Web Worker (middleware/runtime/gzip-worker.ts).
  { name: 'edge-otel, gzip on a Web Worker (EDGE_OTEL_GZIP_WORKER=true)', role: 'other', env: { EDGE_OTEL: '1', EDGE_OTEL_GZIP_WORKER: 'true' } },
  // Deno's defaults otherwise: it batches spans, and exports metrics every OTEL_METRIC_EXPORT_INTERVAL (60 s).
  { name: "Deno's built-in OpenTelemetry (OTEL_DENO=true), traces and metrics", role: 'peer', env: { OTEL_DENO: 'true', OTEL_SERVICE_NAME: 'bench' } },
]

interface Running {
  child: ChildProcess
  url: string
}

let nextPort = 18_800

async function startDeno(variant: Variant, endpoint: string): Promise<Running> {
  const port = nextPort++
  const child = spawn(DENO, ['run', '--allow-net=127.0.0.1', '--allow-env', '--allow-read', 'bench/deno/app.ts'], {
    cwd: ROOT,
    env: { ...process.env, ...variant.env, PORT: String(port), OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf', NO_COLOR: '1' },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  await new Promise<void>((ready, fail) => {
    child.stdout!.on('data', (d: Buffer) => d.toString().includes('listening') && ready())
    child.once('exit', (code) => fail(new Error(`${variant.name} exited (${code})`)))
  })
  pin(child.pid!, SERVER_CORE)
  return { child, url: `http://127.0.0.1:${port}${PATH}` }
}

/** Stops gently (SIGTERM: Deno's exporter and ours send what they hold) and waits for the exit. */
async function stop(r: Running): Promise<void> {
  const exited = new Promise((done) => (r.child.exitCode !== null ? done(null) : r.child.once('exit', done)))
  r.child.kill('SIGTERM')
  await exited
}

interface ProcessSet {
  /** One per variant; index 0 unused (the bare windows go to `baselines`). */
  variants: Running[]
  baselines: Running[]
}

async function startProcesses(): Promise<ProcessSet> {
  const variants: Running[] = []
  for (const [i, variant] of VARIANTS.entries()) if (i > 0) variants[i] = await startDeno(variant, receivers.urls[i])
  const baselines: Running[] = []
  for (let b = 0; b < VARIANTS.length - 1; b++) baselines.push(await startDeno(VARIANTS[0], receivers.urls[0]))
  return { variants, baselines }
}

const stopProcesses = (set: ProcessSet) => Promise.all([...set.variants.filter(Boolean), ...set.baselines].map(stop))

const commit = () => {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: ROOT }).toString().trim()
  } catch {
    return 'unknown'
  }
}

requireWrk()
pin(process.pid, LOAD_CORE)
await buildLibrary()
const receivers = await startReceivers(VARIANTS.length)
const windows = schedule(VARIANTS.length, ROUNDS, { generations: GENERATIONS, seed: Date.now() })
const samples: WindowSample[] = []
const served = VARIANTS.map(() => 0)
const started = performance.now()
const date = new Date().toISOString()
let processes: ProcessSet | undefined
try {
  let generation = -1
  for (const [k, { variant, round, generation: g, baseline }] of windows.entries()) {
    if (g !== generation) {
      if (processes) await stopProcesses(processes)
      processes = await startProcesses()
      generation = g
    }
    const running = variant === 0 ? processes!.baselines[baseline!] : processes!.variants[variant]
    const pid = running.child.pid!
    served[variant] += await warmUp(running.url, WARM_UP_MS)
    await quiesce(() => processCpuSeconds(pid))
    // What the window's requests left to export (a batch under way, a thread behind) is theirs too.
    const { at, ...sample } = await measureWindow({ variant, round, generation: g, baseline }, () => processCpuSeconds(pid), CORES, () => wrk(running.url, WINDOW_SECONDS), true)
    served[variant] += sample.requests
    samples.push({ ...at, ...sample })
    if (windows[k + 1]?.round !== round) console.log(`round ${round + 1}/${ROUNDS} done, ${((performance.now() - started) / 60000).toFixed(1)} min`)
  }
} finally {
  // Deno exports its metrics on an interval, and at exit: the processes stop gently before the count.
  if (processes) await stopProcesses(processes)
}
await receivers.idle(2000)
const exports = await receivers.counts()
await receivers.close()

const record: RunRecord = {
  date,
  commit: commit(),
  machine: { cores: cpus().length, cpu: cpus()[0]?.model ?? 'unknown' },
  settings: {
    pairs: ROUNDS,
    windowSeconds: WINDOW_SECONDS,
    warmUpMs: WARM_UP_MS,
    connections: CONNECTIONS,
    baselines: VARIANTS.length - 1,
    generations: GENERATIONS,
    serverCore: SERVER_CORE,
    loadCore: LOAD_CORE,
    receiver: 'bench/receivers.ts',
    maxSteal: MAX_STEAL,
    quick: false,
  },
  variants: VARIANTS.map((v) => ({ name: v.name, role: v.role, entry: 'bench/deno/app.ts', bundleBytes: 0 })),
  windows: samples,
  evaluation: VARIANTS.map(() => []),
  served,
  exports,
  seconds: (performance.now() - started) / 1000,
}
const analysis = analyse(record)
const fixed = (n: number, digits = 2) => n.toFixed(digits)
const range = (s: Spread, digits = 2) => `${fixed(s.median, digits)} [${fixed(s.q1, digits)}–${fixed(s.q3, digits)}]`
const { resolution, machine } = analysis
const lines = [
  `# Deno bench (${date}, commit ${record.commit})`,
  '',
  `${ROUNDS} rounds of ${WINDOW_SECONDS} s windows (${analysis.droppedWindows} dropped for steal over ${MAX_STEAL * 100}%), wrk -t1 -c${CONNECTIONS} on ${PATH} after a ${WARM_UP_MS} ms warm-up, ${VARIANTS.length - 1} bare Deno processes and one per other variant, replaced ${GENERATIONS - 1} times, all threads pinned to core ${SERVER_CORE}; load, receivers and bench on core ${LOAD_CORE}. ${fixed(record.seconds / 60, 1)} min.`,
  '',
  "Each variant window sits between two bare windows; a row is the median of its per-pair ratios [IQR q1–q3] (bench/analysis.ts). Throughput is wrk's rate over the share of the server core that steal and other processes left; CPU is the Deno process's CPU seconds (all threads) from the window's start until it is idle again after it, per request, so exports that the window's requests left behind count.",
  `Resolution (the null row's IQR): throughput ${fixed(resolution.throughput)}, CPU ${fixed(resolution.cpu)}. Machine, median over windows: steal ${fixed(machine.steal * 100, 1)}%, other processes on the server core ${fixed(machine.foreign * 100, 1)}%, server core idle ${fixed(machine.idle * 100, 1)}%.`,
  '',
  '| variant | throughput ×bare | CPU/request ×bare | CPU µs/request | req/s (median) | pairs kept | served | spans at receiver | server duration points | export POSTs |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...analysis.rows.map((r, i) => {
    const own = spread(samples.filter((w) => w.variant === i).map((w) => w.cpuUs))
    return `| ${r.variant.name} | ${range(r.throughput)} | ${range(r.cpu)} | ${range(own, 1)} | ${Math.round(r.rps)} | ${r.kept} | ${served[i]} | ${exports[i].spans} | ${exports[i].serverPoints} | ${exports[i].posts} |`
  }),
  '',
  '"served" counts every request answered, warm-ups included; the bare processes all export nowhere, so their receiver stays empty.',
  '',
]
writeFileSync(resolve(ROOT, 'bench/deno-results.md'), lines.join('\n'))
console.log(lines.join('\n'))

