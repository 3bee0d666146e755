// The order of the bench's windows: bare, then every other variant once per round in a shuffled
// order, each followed by a bare window (B v B v B …), so every variant's window sits between two
// bare windows and each pair's ratio is taken against the bare Hono measured seconds before and after.

/** One measured window: which variant is loaded, in which round (bare windows belong to the round they close). */
export interface Window {
  variant: number
  round: number
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

/**
 * The windows for `rounds` rounds of the variants 1…variants-1 against variant 0 (bare): 2 · (variants − 1) · rounds + 1
 * windows, alternating bare and non-bare, starting and ending with bare.
 */
export function schedule(variants: number, rounds: number, seed = 1): Window[] {
  const next = random(seed)
  const windows: Window[] = [{ variant: 0, round: 0 }]
  for (let round = 0; round < rounds; round++) {
    for (const variant of shuffle(Array.from({ length: variants - 1 }, (_, i) => i + 1), next)) windows.push({ variant, round }, { variant: 0, round })
  }
  return windows
}

/** Every non-bare window of `windows` with its neighbours. */
export function pairs(windows: readonly Window[]): Pair[] {
  return windows.flatMap((w, i) => (w.variant === 0 ? [] : [{ variant: w.variant, round: w.round, window: i, before: i - 1, after: i + 1 }]))
}
