// Order statistics for the bench: a row's figure is the median of its per-pair ratios, and its
// spread the interquartile range (quartiles by linear interpolation, Hyndman & Fan type 7, as R's
// and NumPy's defaults).

/** The q-quantile (0 ≤ q ≤ 1) of `values`, interpolating between order statistics; NaN when empty. */
export function quantile(values: readonly number[], q: number): number {
  if (!values.length) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const position = (sorted.length - 1) * q
  const below = Math.floor(position)
  const above = Math.min(below + 1, sorted.length - 1)
  return sorted[below] + (sorted[above] - sorted[below]) * (position - below)
}

/** A distribution as the bench reports it. */
export interface Spread {
  median: number
  q1: number
  q3: number
  /** q3 − q1. */
  iqr: number
  n: number
}

/** Median, quartiles and IQR of `values` (NaN throughout when empty). */
export function spread(values: readonly number[]): Spread {
  const q1 = quantile(values, 0.25)
  const q3 = quantile(values, 0.75)
  return { median: quantile(values, 0.5), q1, q3, iqr: q3 - q1, n: values.length }
}

/**
 * Where a row stands against a goal, given the run's resolution: `met` only when the median clears
 * the goal by more than the resolution, `missed` when it falls short by more, else `unresolved`.
 * `higherIsBetter` for throughput; lower is better for CPU, eval and the like.
 */
export function verdict(median: number, goal: number, resolution: number, higherIsBetter: boolean): 'met' | 'missed' | 'unresolved' {
  const margin = higherIsBetter ? median - goal : goal - median
  if (margin > resolution) return 'met'
  if (margin < -resolution) return 'missed'
  return 'unresolved'
}
