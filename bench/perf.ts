// `npm run bench:perf -- [variant …]`: where each variant's CPU per request goes in workerd, against bare
// Hono in the same run. Each worker serves wrk load (as in `npm run bench`) while Linux `perf record`
// samples its workerd process, native code included, which the V8 profiler (bench/profile.ts) cannot see.
// One window per worker, so the figures carry the machine's noise: read them as a breakdown, and the
// bench's paired ratios as the measure. Needs `perf` (Debian: linux-perf) and wrk.
import { execFileSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { buildLibrary } from '../middleware/build.ts'
import { startReceiver } from '../middleware/testing/receiver.ts'
import { ROOT, bundleVariant } from './build.ts'
import { requireWrk, wrk } from './load.ts'
import { pin } from './machine.ts'
import { CATEGORIES, type Category, parseStacks, tally } from './perf-stacks.ts'
import { startWorker } from './workerd.ts'

const FREQUENCY = 1999
const SECONDS = Number(process.env.PERF_SECONDS ?? 6)
const SERVER_CORE = 0
const LOAD_CORE = 1

requireWrk()
try {
  execFileSync('perf', ['--version'], { stdio: 'ignore' })
} catch {
  console.error('npm run bench:perf needs Linux perf: apt-get install linux-perf (Debian).')
  process.exit(1)
}
pin(process.pid, LOAD_CORE)
await buildLibrary()
const variants = ['bare', ...(process.argv.slice(2).length ? process.argv.slice(2) : ['edge-otel'])]
const receiver = await startReceiver({ strictJson: false, respond: () => 200 })
const dir = mkdtempSync(join(tmpdir(), 'edge-otel-perf-'))

/** µs of workerd CPU per request in each category, for one variant under load. */
async function measure(variant: string): Promise<Record<Category | 'total', number>> {
  const { esm } = await bundleVariant(resolve(ROOT, `bench/variants/${variant}.ts`))
  const worker = await startWorker(variant, esm, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, RECEIVER_URL: receiver.url }, '2026-08-01', SERVER_CORE)
  try {
    const url = `${worker.url}/hello/world`
    await wrk(url, 2)
    const data = join(dir, `${variant}.data`)
    const recording = spawn('perf', ['record', '-F', String(FREQUENCY), '-g', '-o', data, '-p', String(worker.pid), '--', 'sleep', String(SECONDS)], { stdio: 'ignore' })
    const { requests } = await wrk(url, SECONDS)
    await new Promise((r) => recording.on('exit', r))
    const script = execFileSync('perf', ['script', '-i', data, '-F', 'ip,sym,dso'], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] }).toString()
    const counts = tally(parseStacks(script))
    const usPerSample = 1e6 / FREQUENCY
    const perRequest = Object.fromEntries(CATEGORIES.map((c) => [c, (counts[c] * usPerSample) / requests])) as Record<Category, number>
    return { ...perRequest, total: CATEGORIES.reduce((sum, c) => sum + perRequest[c], 0) }
  } finally {
    await worker.dispose()
  }
}

const results: Record<string, Record<Category | 'total', number>> = {}
for (const variant of variants) results[variant] = await measure(variant)
await receiver.close()
rmSync(dir, { recursive: true, force: true })

const bare = results.bare
const rows = [...CATEGORIES, 'total'] as const
console.log(`| µs of workerd CPU per request | ${variants.join(' | ')} | ${variants.slice(1).map((v) => `${v} − bare`).join(' | ')} |`)
console.log(`|---|${variants.map(() => '---|').join('')}${variants.slice(1).map(() => '---|').join('')}`)
for (const row of rows) {
  const cells = variants.map((v) => results[v][row].toFixed(1))
  const diffs = variants.slice(1).map((v) => `${results[v][row] - bare[row] >= 0 ? '+' : ''}${(results[v][row] - bare[row]).toFixed(1)}`)
  console.log(`| ${row} | ${cells.join(' | ')} | ${diffs.join(' | ')} |`)
}
console.log(`\nperf record -F ${FREQUENCY} -g for ${SECONDS} s of wrk -t1 -c8 per worker; workerd on core ${SERVER_CORE}, wrk and the receiver on core ${LOAD_CORE}. One window each: noisy.`)
