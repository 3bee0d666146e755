// One real OTLP receiver for the tests of a file (or of a describe block): started before them,
// emptied before each, closed after them.
import { afterAll, beforeAll, beforeEach } from 'vitest'
import type { ReceivedSpan } from '../middleware/testing/decode.ts'
import { type Receiver, type ReceiverOptions, startReceiver } from '../middleware/testing/receiver.ts'

/** The receiver's options, and what else to do before each test. */
export interface ReceiverSetup extends ReceiverOptions {
  /** Runs before each test, before the receiver is emptied: `telemetry.reset()`, or `receiver.idle()` so late exports are not kept. */
  beforeClear?: (receiver: Receiver) => unknown
}

/**
 * Registers the hooks that start a receiver before the tests, run `beforeClear` and empty it before
 * each test, and close it after the tests. The receiver returned stands for the one started: read it
 * inside hooks and tests, not while the file loads.
 * @example
 * const receiver = useReceiver({ beforeClear: () => telemetry.reset() })
 * it('exports the span', async () => {
 *   await receiver.waitFor(() => receiver.spans.length > 0)
 * })
 */
export function useReceiver({ beforeClear, ...options }: ReceiverSetup = {}): Receiver {
  let started: Receiver | undefined
  const receiver = new Proxy({} as Receiver, {
    get(_, key) {
      if (!started) throw new Error('useReceiver(): the receiver starts in beforeAll; read it inside a hook or a test, not while the file loads')
      return Reflect.get(started, key)
    },
  })
  beforeAll(async () => {
    started = await startReceiver(options)
  })
  afterAll(() => started?.close())
  beforeEach(async () => {
    await beforeClear?.(receiver)
    receiver.clear()
  })
  return receiver
}

/**
 * The spans `receiver` holds once the exports in `pending` (what a handler gave `waitUntil`) settled,
 * `count` spans arrived, and 100 ms passed with none more.
 */
export async function spansAfter(receiver: Receiver, pending: Promise<unknown>[], count: number): Promise<ReceivedSpan[]> {
  await Promise.all(pending)
  await receiver.waitFor(() => receiver.spans.length >= count, 10_000, `${count} spans`)
  await receiver.idle(100)
  return receiver.spans
}
