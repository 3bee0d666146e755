/**
 * Wall-clock time in milliseconds, with sub-millisecond precision where the runtime gives it.
 * On workerd the clock only advances across I/O, so durations measure I/O wait, not CPU.
 */
const origin = typeof performance !== 'undefined' && performance.timeOrigin > 0 ? performance.timeOrigin : 0

export const now: () => number =
  origin > 0 ? () => origin + performance.now() : () => Date.now()

/** Converts a time given to the API (ms since epoch, `Date`, or `[seconds, nanos]`) to milliseconds. */
export function toMillis(time: number | Date | [number, number] | undefined): number {
  if (time === undefined) return now()
  if (typeof time === 'number') return time
  if (time instanceof Date) return time.getTime()
  return time[0] * 1e3 + time[1] / 1e6
}
