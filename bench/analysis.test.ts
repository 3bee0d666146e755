import { describe, expect, it } from 'vitest'
import { analyse, throughput } from './analysis.ts'
import { type SyntheticVariant, syntheticRun } from './synthetic.ts'

const constant = (f: number) => () => f
const VARIANTS: SyntheticVariant[] = [
  { name: 'bare', entry: 'variants/bare.ts', role: 'bare', factor: constant(1), evalMs: 1 },
  { name: 'null', entry: 'variants/bare.ts', role: 'null', factor: (round) => (round % 4 === 0 ? 0.96 : round % 4 === 1 ? 1.04 : 1), evalMs: 1 },
  { name: 'edge-otel', entry: 'variants/edge-otel.ts', role: 'goal', factor: constant(0.85), evalMs: 3 },
  { name: 'logging', entry: 'variants/bare-logging.ts', role: 'reference', factor: constant(0.9), evalMs: 1.2 },
  { name: 'every signal', entry: 'variants/edge-otel-logs.ts', role: 'goal', against: 'variants/bare-logging.ts', factor: constant(0.81), evalMs: 3.6 },
  { name: 'api only', entry: 'variants/api-only.ts', role: 'reference', factor: constant(1), evalMs: 1.5 },
]

describe('analyse', () => {
  it('takes each pair against the bare windows either side, so a drift of bare over the run cancels', () => {
    const { rows } = analyse(syntheticRun(VARIANTS, 30))
    expect(rows[2].throughput.median).toBeCloseTo(0.85, 6)
    expect(rows[2].throughput.iqr).toBeCloseTo(0, 6)
    // CPU is taken against the mean of the neighbours' CPU, close to but not exactly the inverse
    expect(rows[2].cpu.median).toBeCloseTo(1 / 0.85, 4)
    expect(rows[2].kept).toBe(30)
  })

  it('gives the null row\'s IQR as the run\'s resolution', () => {
    const analysis = analyse(syntheticRun(VARIANTS, 32))
    expect(analysis.rows[1].throughput.median).toBeCloseTo(1, 6)
    expect(analysis.resolution.throughput).toBeCloseTo(analysis.rows[1].throughput.iqr, 9)
    expect(analysis.resolution.throughput).toBeGreaterThan(0.01)
  })

  it('takes a row with a reference against it round by round, with the plain-bare ratio beside it', () => {
    const row = analyse(syntheticRun(VARIANTS, 30)).rows[4]
    expect(row.throughput.median).toBeCloseTo(0.9, 6)
    expect(row.bareThroughput?.median).toBeCloseTo(0.81, 6)
    expect(row.evaluation.median).toBeCloseTo(3, 6)
    expect(row.bareEvaluation?.median).toBeCloseTo(3.6, 6)
    expect(row.apiEvaluation?.median).toBeCloseTo(2.4, 6)
  })

  it('counts throughput per second of server core left to workerd, so other processes on its core do not read as a slower variant', () => {
    const run = syntheticRun(VARIANTS, 30, (w) => {
      if (w.variant === 2 && w.round % 3 === 0) {
        w.foreign = 0.4
        w.rps *= 0.6
      }
    })
    const row = analyse(run).rows[2]
    expect(row.throughput.median).toBeCloseTo(0.85, 6)
    expect(row.throughput.iqr).toBeCloseTo(0, 6)
    expect(row.rawThroughput.q1).toBeLessThan(0.6)
    expect(throughput(run.windows.find((w) => w.foreign)!)).toBeCloseTo(run.windows.find((w) => w.foreign)!.rps / 0.6, 6)
  })

  it('drops the pairs around a window with steal over the limit, and counts them', () => {
    const run = syntheticRun(VARIANTS, 30, (w, k) => {
      if (k === 20) w.steal = 0.2
    })
    const analysis = analyse(run)
    expect(run.windows[20].variant).toBe(0)
    expect(analysis.droppedWindows).toBe(1)
    const lost = [run.windows[19].variant, run.windows[21].variant]
    for (const v of lost) expect(analysis.rows[v].dropped).toBe(lost.filter((x) => x === v).length)
    expect(analysis.rows.reduce((n, r) => n + (r.variant.role === 'bare' ? 0 : r.dropped), 0)).toBe(2)
    expect(analysis.rows[0].dropped).toBe(1)
  })

  it('divides what each receiver took in by the requests its worker answered', () => {
    const row = analyse(syntheticRun(VARIANTS, 4)).rows[2]
    expect(row).toMatchObject({ posts: 0.01, bytes: 40, spans: 1, serverPoints: 1 })
  })
})
