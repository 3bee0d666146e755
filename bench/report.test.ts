import { describe, expect, it } from 'vitest'
import { agreement, footer, table } from './report.ts'
import { GOALS } from './goals.ts'
import { type SyntheticVariant, syntheticRun } from './synthetic.ts'

const variants = (nullSpread: number, goal: number): SyntheticVariant[] => [
  { name: 'bare', entry: 'variants/bare.ts', role: 'bare', factor: () => 1 },
  { name: 'null', entry: 'variants/bare.ts', role: 'null', factor: (round) => (round % 2 ? 1 + nullSpread : 1 - nullSpread) },
  { name: 'edge-otel', entry: 'variants/edge-otel.ts', role: 'goal', factor: () => goal, evalMs: 1.2 },
]
const rowOf = (text: string, name: string) => text.split('\n').find((l) => l.startsWith(`| ${name} |`))!.split(' | ')

describe('table', () => {
  it('marks a goal met only when the median clears it by more than the null row\'s IQR', () => {
    // Goal: throughput ≥ 0.9. The null row alternates 1 ± spread, so its IQR is about 2 × spread.
    expect(GOALS.throughput).toBe(0.9)
    expect(rowOf(table(syntheticRun(variants(0.01, 0.95), 30)), 'edge-otel')[1]).toBe('0.95 (0.95–0.95) ✓')
    expect(rowOf(table(syntheticRun(variants(0.05, 0.95), 30)), 'edge-otel')[1]).toBe('0.95 (0.95–0.95) ≈')
    expect(rowOf(table(syntheticRun(variants(0.01, 0.8), 30)), 'edge-otel')[1]).toBe('0.80 (0.80–0.80) ✗')
  })

  it('marks only the rows the goals apply to', () => {
    const text = table(syntheticRun(variants(0.01, 0.85), 30))
    expect(rowOf(text, 'null')[1]).not.toMatch(/[✓✗≈]/)
  })

  it('says in the footer whether the null row read 1.00 ± 0.03, and its resolution', () => {
    const text = footer(syntheticRun(variants(0.01, 0.85), 30))
    expect(text).toContain('throughput 1.00 (0.99–1.01), IQR 0.02 (median inside 1.00 ± 0.03)')
    expect(text).toContain('Resolution (the null row\'s IQR): throughput 0.02')
  })
})

describe('agreement', () => {
  it('compares each figure of two runs, relative to its size, against the larger of their resolutions', () => {
    const a = syntheticRun(variants(0.02, 0.85), 30)
    const close = agreement(a, syntheticRun(variants(0.02, 0.83), 30))
    expect(rowOf(close, 'edge-otel')[1]).toBe('0.85 / 0.83: 2.4% ≤ 4.0% ✓')
    const far = agreement(a, syntheticRun(variants(0.02, 0.78), 30))
    expect(rowOf(far, 'edge-otel')[1]).toBe('0.85 / 0.78: 8.6% > 4.0% ✗')
  })

  it('reads a large ratio\'s difference in proportion to it', () => {
    // Eval 5.65× against 5.52×: 0.13 apart, which is 2.3% of either.
    const eval565 = syntheticRun(variants(0.02, 0.85).map((v) => ({ ...v, evalMs: v.role === 'goal' ? 5.65 : 1 })), 30)
    const eval552 = syntheticRun(variants(0.02, 0.85).map((v) => ({ ...v, evalMs: v.role === 'goal' ? 5.52 : 1 })), 30)
    eval565.evaluation[1] = eval565.evaluation[1].map((_, r) => (r % 2 ? 1.04 : 0.96))
    expect(rowOf(agreement(eval565, eval552), 'edge-otel')[3]).toBe('5.65 / 5.52: 2.3% ≤ 8.0% ✓ |')
  })
})
