// From a run's raw windows to the table's figures: per-pair ratios against the bare windows either
// side, their median and IQR per row, and the null variant's IQR as the run's resolution.
import { pairs, type Window } from './schedule.ts'
import { type Spread, spread } from './stats.ts'

/**
 * What a variant is for: `bare` is the baseline every window pairs with, `null` a second bare process
 * measured like the rest (the noise gauge), `goal` a row the goals apply to.
 */
export type Role = 'bare' | 'null' | 'goal' | 'reference' | 'other' | 'peer'

export interface VariantInfo {
  name: string
  /** Bench-relative entry file, e.g. `variants/edge-otel.ts`. */
  entry: string
  role: Role
  /** Entry of the reference the row is taken against (same work in user code), when not bare Hono. */
  against?: string
  bundleBytes: number
}

/** One measured window. Fractions are of the window's wall time on the named core. */
export interface WindowSample extends Window {
  requests: number
  seconds: number
  errors: number
  /** Requests per second, by wrk. */
  rps: number
  /** The workerd process's CPU per request, µs. */
  cpuUs: number
  /** The workerd process's CPU time over the window's wall time (1 = its core, fully). */
  serverUse: number
  /** Steal on the server core. */
  steal: number
  /** Busy time on the server core that was not the workerd process's. */
  foreign: number
  /** Busy time on the load core (wrk, the receivers, the bench, and anything else). */
  loadBusy: number
}

/** Everything a run measured; the bench writes it to bench/runs/ and the tables are made from it. */
export interface RunRecord {
  date: string
  commit: string
  machine: { cores: number; cpu: string }
  settings: {
    pairs: number
    windowSeconds: number
    warmUpMs: number
    connections: number
    /** Bare processes that the bare windows take in turn. */
    baselines: number
    /** Sets of fresh processes the run went through. */
    generations: number
    serverCore: number
    loadCore: number
    receiver: string
    /** Windows with more steal than this (fraction) are dropped with their pairs. */
    maxSteal: number
    quick: boolean
  }
  variants: VariantInfo[]
  windows: WindowSample[]
  /** Script evaluation ms per variant per round. */
  evaluation: number[][]
  /** Per variant: requests it answered over the whole run (warm-ups included) and what its receiver took in. */
  served: number[]
  exports: { posts: number; wireBytes: number; spans: number; logs: number; serverPoints: number; rejected: number }[]
  seconds: number
}

export interface Row {
  variant: VariantInfo
  /** Against bare Hono, or against the row's reference (`against`) when it has one. */
  throughput: Spread
  cpu: Spread
  /** wrk's own rate against bare Hono's, not corrected for the share of the core workerd had. */
  rawThroughput: Spread
  /** Against bare Hono, for rows with a reference. */
  bareThroughput?: Spread
  bareCpu?: Spread
  /** Median of the row's own windows. */
  rps: number
  cpuUs: number
  evaluation: Spread
  bareEvaluation?: Spread
  /** Against the bare Hono + @opentelemetry/api reference. */
  apiEvaluation?: Spread
  evalMs: number
  posts: number
  bytes: number
  spans: number
  serverPoints: number
  errors: number
  /** Pairs used, and pairs dropped for a window over the steal limit. */
  kept: number
  dropped: number
}

export interface Analysis {
  rows: Row[]
  /** The null row's IQRs: how far apart two identical processes read in this run. */
  resolution: { throughput: number; cpu: number; evaluation: number; rawThroughput: number }
  droppedWindows: number
  /**
   * Medians over all windows: steal and other processes on the server core, the server core idle
   * (workerd waiting for requests: the load side fell behind), and the load core busy.
   */
  machine: { steal: number; foreign: number; idle: number; loadBusy: number }
}

/** The reference that script eval is also taken against: what importing @opentelemetry/api alone costs. */
export const API_ONLY = 'variants/api-only.ts'

const mean = (a: number, b: number) => (a + b) / 2

/**
 * Requests per second of server core that workerd had: wrk's rate over the share of the core that
 * steal and other processes left. workerd is single-threaded, pinned and kept busy, so its rate scales
 * with that share, and this takes out the machine's other work; a window with no other work reads as wrk does.
 */
export function throughput(w: WindowSample): number {
  return w.rps / Math.max(1 - w.steal - w.foreign, 0.05)
}

const MEASURES = { throughput, rawThroughput: (w: WindowSample) => w.rps, cpu: (w: WindowSample) => w.cpuUs }

/** Per-round ratios of each variant against the bare windows either side; NaN where a window was dropped. */
function pairRatios(run: RunRecord, dropped: boolean[], measure: (w: WindowSample) => number): number[][] {
  const byVariant = run.variants.map(() => Array.from({ length: run.settings.pairs }, () => Number.NaN))
  for (const p of pairs(run.windows)) {
    if (dropped[p.window] || dropped[p.before] || dropped[p.after]) continue
    const w = run.windows
    byVariant[p.variant][p.round] = measure(w[p.window]) / mean(measure(w[p.before]), measure(w[p.after]))
  }
  return byVariant
}

const finite = (values: number[]) => values.filter(Number.isFinite)
const quotients = (a: number[], b: number[]) => finite(a.map((x, r) => x / b[r]))

export function analyse(run: RunRecord): Analysis {
  const dropped = run.windows.map((w) => w.steal > run.settings.maxSteal)
  const ratios = { throughput: pairRatios(run, dropped, MEASURES.throughput), raw: pairRatios(run, dropped, MEASURES.rawThroughput), cpu: pairRatios(run, dropped, MEASURES.cpu) }
  const index = (entry: string) => run.variants.findIndex((v) => v.entry === entry)
  const api = run.variants.findIndex((v) => v.entry === API_ONLY)
  const ones = Array.from({ length: run.settings.pairs }, () => 1)
  const rows = run.variants.map((variant, i): Row => {
    const own = run.windows.filter((w, k) => w.variant === i && !dropped[k])
    const ref = variant.against ? index(variant.against) : -1
    const tp = i === 0 ? ones : ratios.throughput[i]
    const cp = i === 0 ? ones : ratios.cpu[i]
    const evalRatios = (base: number) => spread(quotients(run.evaluation[i], run.evaluation[base]))
    const served = Math.max(run.served[i], 1)
    const exports = run.exports[i]
    return {
      variant,
      throughput: spread(ref >= 0 ? quotients(tp, ratios.throughput[ref]) : finite(tp)),
      rawThroughput: spread(finite(i === 0 ? ones : ratios.raw[i])),
      cpu: spread(ref >= 0 ? quotients(cp, ratios.cpu[ref]) : finite(cp)),
      bareThroughput: ref >= 0 ? spread(finite(tp)) : undefined,
      bareCpu: ref >= 0 ? spread(finite(cp)) : undefined,
      rps: spread(own.map((w) => w.rps)).median,
      cpuUs: spread(own.map((w) => w.cpuUs)).median,
      evaluation: evalRatios(ref >= 0 ? ref : 0),
      bareEvaluation: ref >= 0 ? evalRatios(0) : undefined,
      apiEvaluation: api >= 0 && i !== api ? evalRatios(api) : undefined,
      evalMs: spread(run.evaluation[i]).median,
      posts: exports.posts / served,
      bytes: exports.wireBytes / served,
      spans: exports.spans / served,
      serverPoints: exports.serverPoints / served,
      errors: run.windows.filter((w) => w.variant === i).reduce((n, w) => n + w.errors, 0) + exports.rejected,
      kept: i === 0 ? own.length : finite(tp).length,
      dropped: i === 0 ? run.windows.filter((w, k) => w.variant === 0 && dropped[k]).length : run.windows.filter((w) => w.variant === i).length - finite(tp).length,
    }
  })
  const gauge = rows.find((r) => r.variant.role === 'null')
  const all = (of: (w: WindowSample) => number) => spread(run.windows.map(of)).median
  return {
    rows,
    resolution: {
      throughput: gauge?.throughput.iqr ?? Number.NaN,
      cpu: gauge?.cpu.iqr ?? Number.NaN,
      evaluation: gauge?.evaluation.iqr ?? Number.NaN,
      rawThroughput: gauge?.rawThroughput.iqr ?? Number.NaN,
    },
    droppedWindows: dropped.filter(Boolean).length,
    machine: {
      steal: all((w) => w.steal),
      foreign: all((w) => w.foreign),
      idle: all((w) => Math.max(0, 1 - w.serverUse - w.steal - w.foreign)),
      loadBusy: all((w) => w.loadBusy),
    },
  }
}
