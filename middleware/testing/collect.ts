// Inside workerd (Cloudflare's vitest integration runs the worker in the test's isolate): takes what
// the library in this isolate exports, in place of sending it, and hands a test what one call produced.
// It exports the request's telemetry itself once the request has ended, so it does not depend on the
// integration awaiting `waitUntil` (cloudflare/workers-sdk#6887).
import { type CaptureControl, captureTelemetry } from './capture.ts'
import { formatTelemetry } from './format.ts'
import { type Telemetry, decodePayload } from './payloads.ts'

/** How long `collectTelemetry` waits, in ms, unless told otherwise. */
export const DEFAULT_COLLECT_TIMEOUT = 5_000

export interface CollectOptions {
  /** ms to wait for the function to settle, its invocations to end and their flush (default 5000). */
  timeout?: number
}

/** What `run` returned, and the spans, metric points and log records it produced. */
export interface CollectedTelemetry<T> extends Telemetry {
  result: T
}

interface Collection extends Telemetry {
  /** Invocations ended since the collection began. */
  ended: number
  errors: string[]
}

const collections = new Set<Collection>()
const flushing = new Set<Promise<void>>()
let control: CaptureControl | undefined

function capture(): CaptureControl {
  control ??= captureTelemetry({
    transport: {
      async send(payload) {
        const got: Telemetry = { spans: [], metrics: [], logs: [] }
        try {
          await decodePayload(payload, got)
        } catch (error) {
          for (const c of collections) c.errors.push(`a ${payload.signal} payload could not be decoded: ${String(error)}`)
          throw error
        }
        for (const c of collections) {
          c.spans.push(...got.spans)
          c.metrics.push(...got.metrics)
          c.logs.push(...got.logs)
        }
      },
    },
    onFlush(flush) {
      flushing.add(flush)
      flush.finally(() => flushing.delete(flush)).catch(() => {})
    },
    onInvocationEnd() {
      for (const c of collections) c.ended++
    },
  })
  return control
}

class CollectTimeout extends Error {
  override name = 'CollectTimeout'
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Runs `run` (e.g. a request to the worker) and returns what it produced once its invocations have
 * ended and their telemetry has been exported, decoded from what the library sent. Every signal is
 * taken, whether or not the worker's env names an OTLP endpoint; nothing is sent while it runs.
 *
 * @example
 * import { exports } from 'cloudflare:workers'
 * import { collectTelemetry } from 'edge-otel/testing'
 *
 * const telemetry = await collectTelemetry(() => exports.default.fetch('http://x/orders/7'))
 * expect(telemetry.result.status).toBe(200)
 * expect(telemetry.spans).toContainSpan({ name: 'GET /orders/:id', kind: 'server' })
 */
export async function collectTelemetry<T>(run: () => T | Promise<T>, options: CollectOptions = {}): Promise<CollectedTelemetry<Awaited<T>>> {
  if (typeof run !== 'function') {
    throw new TypeError(`collectTelemetry takes a function that makes the request, e.g. () => exports.default.fetch('http://x/'); it was given ${typeof run}`)
  }
  const timeout = options.timeout ?? DEFAULT_COLLECT_TIMEOUT
  if (!(typeof timeout === 'number' && timeout > 0 && Number.isFinite(timeout))) {
    throw new TypeError(`collectTelemetry's timeout option is ${String(timeout)}; give a number of ms above 0, e.g. { timeout: 5000 }`)
  }
  const hold = capture()
  const collection: Collection = { spans: [], metrics: [], logs: [], ended: 0, errors: [] }
  collections.add(collection)
  let timer: ReturnType<typeof setTimeout> | undefined
  let waitingFor = 'the function to settle'
  let done = false
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CollectTimeout()), timeout)
  })
  const steps = async () => {
    const result = await run()
    waitingFor = 'an invocation to end (a request, batch or cron run of the worker in this isolate)'
    while (!done && (collection.ended === 0 || hold.openRequests() > 0)) await pause(2)
    waitingFor = 'the flush of its telemetry'
    while (!done && flushing.size) await Promise.allSettled([...flushing])
    await hold.flush()
    return result
  }
  const running = steps()
  // Settled after a timeout, it has no one left to tell.
  running.catch(() => {})
  try {
    const result = await Promise.race([running, expired])
    if (collection.errors.length) throw new Error(`collectTelemetry: ${collection.errors.join('; ')}`)
    return { result: result as Awaited<T>, spans: collection.spans, metrics: collection.metrics, logs: collection.logs }
  } catch (error) {
    if (!(error instanceof CollectTimeout)) throw error
    throw new Error(
      `collectTelemetry timed out after ${timeout} ms (the timeout option) waiting for ${waitingFor}. ${
        waitingFor.startsWith('an invocation')
          ? 'Does the worker use otel() (or another edge-otel handler) from the same edge-otel package as the test? '
          : ''
      }What arrived:\n${formatTelemetry(collection)}`,
    )
  } finally {
    done = true
    clearTimeout(timer)
    collections.delete(collection)
  }
}
