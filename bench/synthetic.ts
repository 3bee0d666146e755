// A run record made to order for the analysis and report tests: windows laid out by the real
// schedule, bare Hono drifting over the run, each variant a fixed factor of the bare rate around it.
import type { RunRecord, VariantInfo, WindowSample } from './analysis.ts'
import { schedule } from './schedule.ts'

export interface SyntheticVariant extends Omit<VariantInfo, 'bundleBytes'> {
  /** Throughput against bare in each round (CPU per request is its inverse). */
  factor: (round: number) => number
  evalMs?: number
}

/** A run of `variants` (the first is bare) over `pairs` rounds; `edit` may change any window afterwards. */
export function syntheticRun(variants: SyntheticVariant[], pairs: number, edit: (w: WindowSample, index: number) => void = () => {}): RunRecord {
  const windows = schedule(variants.length, pairs).map((w, k): WindowSample => {
    const bareRps = 3000 + 10 * k
    const rps = bareRps * variants[w.variant].factor(w.round)
    return { ...w, requests: rps * 2, seconds: 2, errors: 0, rps, cpuUs: 1e6 / rps, serverUse: 1, steal: 0, foreign: 0, loadBusy: 0.3 }
  })
  windows.forEach(edit)
  return {
    date: '2026-11-25T12:00:00.000Z',
    commit: 'test',
    machine: { cores: 2, cpu: 'test' },
    settings: { pairs, windowSeconds: 2, warmUpMs: 100, connections: 8, baselines: variants.length - 1, generations: 1, serverCore: 0, loadCore: 1, receiver: 'child process', maxSteal: 0.05, quick: false },
    variants: variants.map(({ factor, evalMs, ...v }) => ({ ...v, bundleBytes: 10_000 })),
    windows,
    evaluation: variants.map((v) => Array.from({ length: pairs }, () => v.evalMs ?? 1)),
    served: variants.map(() => 10_000),
    exports: variants.map(() => ({ posts: 100, wireBytes: 400_000, spans: 10_000, logs: 0, serverPoints: 10_000, rejected: 0 })),
    seconds: 60,
  }
}
