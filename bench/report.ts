// The bench's tables: one run's rows with medians, IQRs and goal verdicts against the run's
// resolution (the null row's IQR), the agreement of two runs row by row, and bench/results.md.
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { API_ONLY, type Analysis, type Row, type RunRecord, analyse } from './analysis.ts'
import { ROOT } from './build.ts'
import { BUNDLE_GOALS_KIB, GOALS, ROW_GOALS } from './goals.ts'

/** A row's own throughput and CPU goals, as the footnote gives them. */
const rowGoals = (entry: string) => `≥ ${ROW_GOALS[entry].throughput}, ≤ ${ROW_GOALS[entry].cpu}`
import { type Spread, verdict } from './stats.ts'

/** How far the null row's median may sit from 1.00 for the run to count as unbiased. */
export const NULL_TOLERANCE = 0.03

const RUNS = resolve(ROOT, 'bench/runs')
const RESULTS = resolve(ROOT, 'bench/results.md')

const fmt = (n: number, digits = 2) => (Number.isFinite(n) ? n.toFixed(digits) : '–')
const MARK = { met: '✓', missed: '✗', unresolved: '≈' }

/** `0.88 (0.85–0.91)`: median and interquartile range. */
export function cell(s: Spread): string {
  return `${fmt(s.median)} (${fmt(s.q1)}–${fmt(s.q3)})`
}

/** A goal row's mark for a measured figure: met or missed by more than the resolution, or within it (≈). */
function marked(text: string, row: Row, median: number, goal: number, resolution: number, higherIsBetter: boolean): string {
  return row.variant.role === 'goal' ? `${text} ${MARK[verdict(median, goal, resolution, higherIsBetter)]}` : text
}

function bundleCell(row: Row): string {
  const kib = row.variant.bundleBytes / 1024
  const budget = BUNDLE_GOALS_KIB[row.variant.entry] ?? GOALS.bundleKiB
  const own = budget === GOALS.bundleKiB ? '' : ` (own budget ${budget} KiB${kib > GOALS.bundleKiB ? `; over ${GOALS.bundleKiB}` : ''})`
  return `${marked(`${fmt(kib)} KiB`, row, kib, budget, 0, false)}${own}`
}

/** The run's table, one row per variant. */
export function table(run: RunRecord, analysis: Analysis = analyse(run)): string {
  const { resolution } = analysis
  const againstBare = (s: Spread | undefined) => (s ? `; bare ${cell(s)}` : '')
  const lines = [
    '| variant | throughput vs bare, median (IQR) | req/s (wrk) | server CPU per request vs bare, median (IQR) | µs | export POSTs per request | bundle gzip (min, ESM) | script eval vs bare, median (IQR) | eval vs API-only | OTLP bytes per request | spans per request | pairs |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...analysis.rows.map((r) => {
      const goals = ROW_GOALS[r.variant.entry] ?? GOALS
      const throughput = marked(cell(r.throughput), r, r.throughput.median, goals.throughput, resolution.throughput, true)
      const cpu = marked(cell(r.cpu), r, r.cpu.median, goals.cpu, resolution.cpu, false)
      const evaluation = marked(cell(r.evaluation), r, r.evaluation.median, GOALS.evaluation, resolution.evaluation, false)
      return [
        r.variant.name,
        `${throughput}${againstBare(r.bareThroughput)}`,
        fmt(r.rps, 0),
        `${cpu}${againstBare(r.bareCpu)}`,
        fmt(r.cpuUs, 0),
        marked(fmt(r.posts, 3), r, r.posts, GOALS.posts, 0, false),
        bundleCell(r),
        `${evaluation}${againstBare(r.bareEvaluation)} (${fmt(r.evalMs)} ms)`,
        r.apiEvaluation ? cell(r.apiEvaluation) : r.variant.entry === API_ONLY ? '1.00' : '–',
        marked(fmt(r.bytes, 0), r, r.bytes, goals.bytes, 0, false),
        fmt(r.spans, 3),
        `${r.kept}${r.variant.role === 'bare' ? ' windows' : ''}${r.dropped ? ` (${r.dropped} dropped)` : ''}`,
      ].join(' | ')
    }).map((line) => `| ${line} |`),
  ]
  return lines.join('\n')
}

/** Whether the null row reads 1.00 within NULL_TOLERANCE, as a sentence with its figures. */
export function gaugeLine(analysis: Analysis): string {
  const gauge = analysis.rows.find((r) => r.variant.role === 'null')
  if (!gauge) return 'No null row in this run: its resolution is unknown.'
  const check = (name: string, s: Spread) => {
    const inside = Math.abs(s.median - 1) <= NULL_TOLERANCE
    return `${name} ${cell(s)}, IQR ${fmt(s.iqr)} (median ${inside ? 'inside' : 'OUTSIDE'} 1.00 ± ${NULL_TOLERANCE})`
  }
  return `Null gauge (a second bare process against bare): ${check('throughput', gauge.throughput)}; ${check('CPU', gauge.cpu)}; ${check('eval', gauge.evaluation)}.`
}

const nullRaw = (analysis: Analysis) => analysis.rows.find((r) => r.variant.role === 'null')?.rawThroughput ?? { median: Number.NaN, q1: Number.NaN, q3: Number.NaN, iqr: Number.NaN, n: 0 }

/** The rows measured in fewer pairs than the run's (the peers and the API-only reference), if any. */
function fewer(run: RunRecord): string {
  const counts = run.variants.map((_, i) => run.windows.filter((w) => w.variant === i).length)
  const few = run.variants.filter((v, i) => v.role !== 'bare' && counts[i] < run.settings.pairs)
  return few.length ? ` (${Math.min(...few.map((v) => counts[run.variants.indexOf(v)]))} for ${few.map((v) => v.role === 'peer' ? 'the peers' : v.name.replace(/^\(reference\) /, '')).filter((n, k, all) => all.indexOf(n) === k).join(' and ')}, far from every goal)` : ''
}

/** The lines under a run's table: method, resolution, what was dropped, and the machine's state. */
export function footer(run: RunRecord, analysis: Analysis = analyse(run)): string {
  const s = run.settings
  const m = analysis.machine
  const goal = analysis.rows.find((r) => r.variant.role === 'goal')
  const pct = (n: number) => `${(n * 100).toFixed(1)}%`
  return [
    `${run.date.slice(0, 16).replace('T', ' ')} UTC, commit ${run.commit}, ${run.machine.cores} cores (${run.machine.cpu}), ${(run.seconds / 60).toFixed(1)} minutes.`,
    `${s.pairs} pairs per variant${fewer(run)}: windows of wrk -t1 -c${s.connections} -d${s.windowSeconds}s on GET /hello/world, each after a ${s.warmUpMs} ms warm-up, in the order bare, variant, bare, variant, … with the variants shuffled in each round; each pair's ratio is against the mean of the bare windows either side. The bare windows go round ${s.baselines} bare processes, so every process is loaded once per round; ${s.generations > 1 ? `all processes were replaced by fresh ones ${s.generations === 2 ? 'once' : `${s.generations - 1} times`}, at even round boundaries` : 'the same processes served the whole run'}. workerd on core ${s.serverCore}; wrk, the receivers (${s.receiver}) and the bench on core ${s.loadCore}.`,
    gaugeLine(analysis),
    `Resolution (the null row's IQR): throughput ${fmt(analysis.resolution.throughput)}, CPU ${fmt(analysis.resolution.cpu)}, eval ${fmt(analysis.resolution.evaluation)}. ✓ the median clears the goal by more than that, ✗ it misses by more, ≈ it is within it (neither met nor missed).`,
    `Throughput is per second of server core that workerd had: wrk's rate over the share that steal and other processes left it, per window. wrk's rate alone gave the null row ${cell(nullRaw(analysis))}, IQR ${fmt(analysis.resolution.rawThroughput)}.`,
    `Windows dropped for steal over ${pct(s.maxSteal)} of the server core: ${analysis.droppedWindows} of ${run.windows.length}. Medians per window: steal ${pct(m.steal)}, other processes on the server core ${pct(m.foreign)}, the server core idle ${pct(m.idle)}, load core busy ${pct(m.loadBusy)}.`,
    `edge-otel data points of http.server.request.duration per request: ${fmt(goal?.serverPoints ?? Number.NaN, 3)}; non-2xx, socket errors and undecodable exports per row: ${analysis.rows.map((r) => r.errors).join('/')}.`,
    '† Throughput, CPU and eval against the reference app that writes the same log line with console.log, per round (plain-bare ratios after "bare"): the line itself is user work, not telemetry.',
    '‡ Against the reference app that makes the same 3 KV reads and 1 D1 query (each a CLIENT span when traced); its goals are throughput ≥ 0.85 and CPU ≤ 1.20 (issue 15), and the bytes goal of a one-span request does not apply.',
    `Goals (edge-otel): throughput ≥ ${GOALS.throughput}, CPU ≤ ${GOALS.cpu} (every signal ${rowGoals('variants/edge-otel-logs.ts')}; all on ${rowGoals('variants/edge-otel-all.ts')}), POSTs ≤ ${GOALS.posts}, bundle ≤ ${GOALS.bundleKiB} KiB (tail sampling ≤ ${BUNDLE_GOALS_KIB['variants/edge-otel-all.ts']} KiB), eval ≤ ${GOALS.evaluation}, bytes ≤ ${GOALS.bytes}.`,
  ].join('\n')
}

/**
 * Row-by-row agreement of two runs of the same variants: each figure's medians, their difference
 * relative to the figure, and whether that is within the larger of the two runs' resolutions. The
 * resolution is a spread of ratios around 1.00, and ratios vary in proportion to their size (a row at
 * 5.6× moves 5.6 times as far as one at 1.0× for the same relative noise), so the difference is relative.
 */
export function agreement(a: RunRecord, b: RunRecord): string {
  const [x, y] = [analyse(a), analyse(b)]
  const pct = (n: number) => `${(n * 100).toFixed(1)}%`
  const line = (p: Spread, q: Spread, resolution: number) => {
    const difference = Math.abs(p.median - q.median) / ((p.median + q.median) / 2)
    const agrees = difference <= resolution
    return `${fmt(p.median)} / ${fmt(q.median)}: ${pct(difference)} ${agrees ? '≤' : '>'} ${pct(resolution)} ${agrees ? '✓' : '✗'}`
  }
  const rows = x.rows.flatMap((r) => {
    const s = y.rows.find((t) => t.variant.name === r.variant.name)
    if (!s || r.variant.role === 'bare') return []
    const res = (key: 'throughput' | 'cpu' | 'evaluation') => Math.max(x.resolution[key], y.resolution[key])
    return [`| ${r.variant.name} | ${line(r.throughput, s.throughput, res('throughput'))} | ${line(r.cpu, s.cpu, res('cpu'))} | ${line(r.evaluation, s.evaluation, res('evaluation'))} |`]
  })
  const agreed = rows.join('').split('✓').length - 1
  return [
    `| variant | throughput, run 1 / run 2: difference vs resolution | CPU per request | script eval |`,
    '|---|---|---|---|',
    ...rows,
    '',
    `${agreed} of ${rows.length * 3} figures agree within the resolution.`,
  ].join('\n')
}

/** Full runs saved in bench/runs/, oldest first. */
export function savedRuns(): RunRecord[] {
  if (!existsSync(RUNS)) return []
  return readdirSync(RUNS)
    .filter((f) => f.endsWith('.json') && !f.endsWith('-quick.json'))
    .sort()
    .map((f) => JSON.parse(readFileSync(resolve(RUNS, f), 'utf8')) as RunRecord)
}

/**
 * Returns `run`'s table and footer; for a full run, also rewrites bench/results.md with it, the full run
 * before it and their agreement, keeping the microbenchmark's section.
 */
export function writeResults(run: RunRecord): string {
  const text = `${table(run)}\n\n${footer(run)}`
  if (run.settings.quick) return text
  const before = savedRuns().filter((r) => r.date < run.date).pop()
  const micro = existsSync(RESULTS) ? readFileSync(RESULTS, 'utf8').split('\n## In-process')[1] : undefined
  const sections = ['# `npm run bench`', `## Latest run\n\n${text}`]
  if (before) {
    sections.push(`## The run before\n\n${table(before)}\n\n${footer(before)}`)
    sections.push(`## Agreement of the two runs\n\nThe earlier run first. A figure agrees when its two medians differ, relative to their mean, by no more than the larger of the two runs' resolutions (their null rows' IQRs).\n\n${agreement(before, run)}`)
  }
  if (micro) sections.push(`## In-process${micro.trimEnd()}`)
  writeFileSync(RESULTS, `${sections.join('\n\n')}\n`)
  return text
}
