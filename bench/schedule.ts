// The order of the bench's windows: bare, then every other variant once per round in a shuffled
// order, each followed by a bare window (B v B v B …), so every variant's window sits between two
// bare windows and each pair's ratio is taken against the bare Hono measured seconds before and after.
// The bare windows go round several bare processes, one per other variant, so that every process,
// bare or not, is loaded once per round: a process loaded every other window ran measurably faster
// than the same app loaded once a round (docs/performance.md). And all processes are replaced a few
// times over the run, since two processes of the same app differ by a few percent, and keep to it.

/** One measured window: which variant is loaded, in which round (bare windows belong to the round they close). */
export interface Window {
  variant: number
  round: number
  /** Which set of processes serves it (see ScheduleOptions.generations). */
  generation: number
  /** For a bare window, which of the bare processes serves it. */
  baseline?: number
}

/** A variant's window with the bare windows on either side (indices into the schedule). */
export interface Pair {
  variant: number
  round: number
  window: number
  before: number
  after: number
}

/** A small seeded generator (mulberry32) of numbers in [0, 1), so a schedule can be repeated. */
export function random(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** `items` in a random order drawn from `next` (Fisher–Yates), in place. */
export function shuffle<T>(items: T[], next: () => number): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1))
    ;[items[i], items[j]] = [items[j], items[i]]
  }
  return items
}

export interface ScheduleOptions {
  /** Seed of the shuffles. */
  seed?: number
  /** Bare processes that the bare windows take in turn (default: one per other variant, so each is loaded once per round). */
  baselines?: number
  /**
   * Sets of processes the run goes through: every process is replaced by a fresh one this many times,
   * at even round boundaries, so a row is not one process's luck.
   */
  generations?: number
  /**
   * Rounds each variant takes part in, by index (default: every round). A variant with fewer is spread
   * evenly over the run, so its pairs see the same drift as the others'.
   */
  roundsOf?: number[]
}

/** Whether a variant measured in `n` of `rounds` rounds is measured in round `round` (evenly spread). */
export function inRound(round: number, n: number, rounds: number): boolean {
  return n >= rounds || Math.floor(((round + 1) * n) / rounds) > Math.floor((round * n) / rounds)
}

/**
 * The windows for `rounds` rounds of the variants 1…variants-1 against variant 0 (bare), alternating
 * bare and non-bare: each generation of processes starts with a bare window, and every round adds
 * 2 · (variants − 1) windows, each variant's followed by a bare one.
 */
export function schedule(variants: number, rounds: number, options: ScheduleOptions = {}): Window[] {
  const { seed = 1, baselines = variants - 1, generations = 1, roundsOf = [] } = options
  const next = random(seed)
  let bare = 0
  const windows: Window[] = []
  for (let round = 0; round < rounds; round++) {
    const generation = Math.floor((round * generations) / rounds)
    if (round === 0 || generation !== windows.at(-1)!.generation) windows.push({ variant: 0, round, generation, baseline: bare++ % baselines })
    for (const variant of shuffle(Array.from({ length: variants - 1 }, (_, i) => i + 1), next)) {
      if (!inRound(round, roundsOf[variant] ?? rounds, rounds)) continue
      windows.push({ variant, round, generation }, { variant: 0, round, generation, baseline: bare++ % baselines })
    }
  }
  return windows
}

/** Every non-bare window of `windows` with its neighbours. */
export function pairs(windows: readonly Window[]): Pair[] {
  return windows.flatMap((w, i) => (w.variant === 0 ? [] : [{ variant: w.variant, round: w.round, window: i, before: i - 1, after: i + 1 }]))
}
