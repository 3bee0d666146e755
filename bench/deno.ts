// `npm run bench:deno`: the same Hono app on Deno bare, with edge-otel (otelAnywhere), and with Deno's
// built-in OpenTelemetry (OTEL_DENO=true), each in its own Deno process pinned to one core, exporting
// to its own real OTLP receiver (bench/receivers.ts) and loaded by wrk from the other core. Each round
// loads every process once for one window, in an order that rotates from round to round; a variant's
// figure per round is its ratio to that round's bare window, and a row is the median of those ratios
// over the rounds, with their IQR and range. Writes bench/deno-results.md.
// BENCH_ROUNDS (default 9), BENCH_WINDOW seconds (default 2).
import { type ChildProcess, spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { cpus } from 'node:os'
import { resolve } from 'node:path'
import { buildLibrary } from '../middleware/build.ts'
import { ROOT } from './build.ts'
import { CONNECTIONS, requireWrk, warmUp, wrk } from './load.ts'
import { pin, processCpuSeconds } from './machine.ts'
import { startReceivers } from './receivers.ts'
import { spread } from './stats.ts'

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9)
const WINDOW_SECONDS = Number(process.env.BENCH_WINDOW ?? 2)
const SERVER_CORE = 0
const LOAD_CORE = cpus().length > 1 ? 1 : 0
const PATH = '/hello/world'
const DENO = resolve(ROOT, 'node_modules/.bin/deno')

interface Variant {
  name: string
  env: Record<string, string>
}

const VARIANTS: Variant[] = [
  { name: 'bare Hono on Deno.serve', env: {} },
  // The null row: a second bare process, so the table shows how far two identical processes drift apart.
  { name: 'bare again (null)', env: {} },
  { name: 'edge-otel (otelAnywhere), traces and metrics', env: { EDGE_OTEL: '1' } },
  // Deno's own exports uncompressed (the spec's default); edge-otel gzips unless told not to.
  { name: 'edge-otel, OTEL_EXPORTER_OTLP_COMPRESSION=none', env: { EDGE_OTEL: '1', OTEL_EXPORTER_OTLP_COMPRESSION: 'none' } },
  // Deno's defaults otherwise: it batches spans, and exports metrics every OTEL_METRIC_EXPORT_INTERVAL (60 s).
  { name: "Deno's built-in OpenTelemetry (OTEL_DENO=true), traces and metrics", env: { OTEL_DENO: 'true', OTEL_SERVICE_NAME: 'bench' } },
]

interface Running {
  child: ChildProcess
  url: string
}

async function startDeno(variant: Variant, port: number, endpoint: string): Promise<Running> {
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

interface Window {
  requestsPerSecond: number
  cpuPerRequest: number
}

async function measure(running: Running): Promise<Window> {
  await warmUp(running.url, 100)
  const cpuBefore = processCpuSeconds(running.child.pid!)
  const result = await wrk(running.url, WINDOW_SECONDS)
  const cpu = processCpuSeconds(running.child.pid!) - cpuBefore
  if (result.errors) throw new Error(`${result.errors} errors in a window of ${running.url}`)
  return { requestsPerSecond: result.requests / result.seconds, cpuPerRequest: cpu / result.requests }
}

const fixed = (n: number, digits = 2) => n.toFixed(digits)

requireWrk()
pin(process.pid, LOAD_CORE)
await buildLibrary()
const receivers = await startReceivers(VARIANTS.length)
const running: Running[] = []
for (const [i, variant] of VARIANTS.entries()) running.push(await startDeno(variant, 18_800 + i, receivers.urls[i]))
const started = new Date()
const windows: Window[][] = VARIANTS.map(() => [])
const served = VARIANTS.map(() => 0)
for (let round = 0; round < ROUNDS; round++) {
  for (let k = 0; k < VARIANTS.length; k++) {
    const i = (round + k) % VARIANTS.length
    const window = await measure(running[i])
    windows[i].push(window)
    served[i] += Math.round(window.requestsPerSecond * WINDOW_SECONDS)
    console.log(`round ${round + 1}/${ROUNDS} ${VARIANTS[i].name}: ${Math.round(window.requestsPerSecond)} req/s, ${fixed(window.cpuPerRequest * 1e6, 1)} µs CPU/request`)
  }
}
// Deno exports its metrics on an interval, and at exit: stop the processes gently, then count.
for (const r of running) r.child.kill('SIGTERM')
await Promise.all(running.map((r) => new Promise((done) => (r.child.exitCode !== null ? done(null) : r.child.once('exit', done)))))
await receivers.idle(2000)
const counts = await receivers.counts()
await receivers.close()

const rows = VARIANTS.map((variant, i) => {
  const throughput = spread(windows[i].map((w, round) => w.requestsPerSecond / windows[0][round].requestsPerSecond))
  const cpu = spread(windows[i].map((w, round) => w.cpuPerRequest / windows[0][round].cpuPerRequest))
  const rates = windows[i].map((w) => w.requestsPerSecond)
  const micros = spread(windows[i].map((w) => w.cpuPerRequest * 1e6))
  return { variant, throughput, cpu, micros, min: Math.min(...rates), max: Math.max(...rates), counts: counts[i] }
})
const lines = [
  `# Deno bench (${started.toISOString()})`,
  '',
  `${ROUNDS} rounds of ${WINDOW_SECONDS} s windows, wrk -t1 -c${CONNECTIONS} on ${PATH}, ${running.length} Deno processes pinned to core ${SERVER_CORE}, load on core ${LOAD_CORE}.`,
  'Ratios are per round against that round\'s bare window; a row is their median [IQR q1–q3]. CPU is the process\'s CPU seconds per request (all threads).',
  '',
  '| variant | throughput ×bare | CPU/request ×bare | CPU µs/request | req/s (min–max) | served | spans at receiver | server duration points | export POSTs |',
  '|---|---|---|---|---|---|---|---|---|',
  ...rows.map(
    (r, i) =>
      `| ${r.variant.name} | ${fixed(r.throughput.median)} [${fixed(r.throughput.q1)}–${fixed(r.throughput.q3)}] | ${fixed(r.cpu.median)} [${fixed(r.cpu.q1)}–${fixed(r.cpu.q3)}] | ${fixed(r.micros.median, 1)} [${fixed(r.micros.q1, 1)}–${fixed(r.micros.q3, 1)}] | ${Math.round(r.min)}–${Math.round(r.max)} | ≈${served[i]} | ${r.counts.spans} | ${r.counts.serverPoints} | ${r.counts.posts} |`,
  ),
  '',
  '"served" counts the measured windows only; the warm-ups before each window add 100 ms of requests each, so the spans and points exceed it.',
  '',
]
writeFileSync(resolve(ROOT, 'bench/deno-results.md'), lines.join('\n'))
console.log(lines.join('\n'))
