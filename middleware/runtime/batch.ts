// The batch span processor: ended spans wait in a bounded buffer for the next flush, and requests
// that end close together share one flush, scheduled by the first of them.
import type { FinishedSpan } from '../sdk/trace/tracer.ts'
import type { ResolvedConfig } from './config.ts'

/** A scheduled flush older than this is presumed lost with its request, and the next request takes over. */
const STALE_SCHEDULE_MS = 10_000

/** The settings the batch reads, from the isolate's configuration (undefined until it is configured). */
export type BatchSettings = Pick<ResolvedConfig, 'maxQueueSize' | 'maxExportBatchSize' | 'batchDelay'>

/** What a flush takes from the batch: the buffered spans, and how many the full buffer dropped. */
export interface TakenSpans {
  spans: FinishedSpan[]
  dropped: number
}

/** The isolate's span buffer and its coalescing timer. */
export interface SpanBatch {
  /** Ended spans waiting for the next flush. */
  readonly spans: readonly FinishedSpan[]
  /** Buffers an ended span for the next flush, or counts it dropped when the buffer is full. */
  add(span: FinishedSpan): void
  /**
   * Called when a request has ended. Requests that end close together share one export:
   * the first schedules a flush after `batchDelay` and gets the promise to hand to `waitUntil`;
   * the others add to the buffer that flush will take, and get undefined. A full buffer is
   * exported at once by the request that filled it.
   */
  requestEnded(): Promise<void> | undefined
  /** Hands over the buffered spans and the count dropped since the last take, and starts afresh. */
  take(): TakenSpans
  /** Forgets the buffered spans and a scheduled flush; for tests that reconfigure one isolate. */
  clear(): void
}

/**
 * Makes the batch. `settings` is read on each use; `flush` is what a scheduled or immediate
 * flush calls, which takes the spans with `take()`.
 *
 * @example
 * const batch = createBatch(() => config, () => exportSpans(batch.take()))
 * batch.add(span)
 * ctx.waitUntil(batch.requestEnded())
 */
export function createBatch(settings: () => BatchSettings | undefined, flush: () => Promise<void>): SpanBatch {
  let spans: FinishedSpan[] = []
  let dropped = 0
  let scheduledAt = 0
  return {
    get spans() {
      return spans
    },
    add(span) {
      if (spans.length >= (settings()?.maxQueueSize ?? 2048)) dropped++
      else spans.push(span)
    },
    requestEnded() {
      const config = settings()
      if (config && spans.length >= config.maxExportBatchSize) return flush()
      const now = Date.now()
      if (scheduledAt && now - scheduledAt < STALE_SCHEDULE_MS) return undefined
      scheduledAt = now
      const delay = config?.batchDelay ?? 0
      return new Promise<void>((resolve) => setTimeout(resolve, delay)).then(() => {
        scheduledAt = 0
        return flush()
      })
    },
    take() {
      const taken = { spans, dropped }
      spans = []
      dropped = 0
      return taken
    },
    clear() {
      spans = []
      scheduledAt = 0
    },
  }
}
