// The library's one-time console messages: each problem is reported once per isolate, however
// often it recurs (bad config, a collector that is down), so a worker's logs are not flooded.
import { LIBRARY_NAME } from '../sdk/version.ts'

const reported = new Set<string>()

/**
 * Writes `[edge-otel] message` to `console.warn`, the first time `key` (the message itself unless
 * given) is reported in this isolate; later reports of that key write nothing.
 *
 * @example
 * warnOnce(`export of traces failed (${message}); 3 items were dropped.`, 'traces:503')
 */
export function warnOnce(message: string, key = message): void {
  if (reported.has(key)) return
  reported.add(key)
  console.warn(`[${LIBRARY_NAME}] ${message}`)
}

/** Forgets every key reported, so that each is reported again; for tests that reconfigure one isolate. */
export function forgetWarnings(): void {
  reported.clear()
}
