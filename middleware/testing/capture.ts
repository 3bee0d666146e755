// Takes hold of the isolate's telemetry runtime (the one the worker under test uses, through the
// package's main entry) for the test kit: every export goes to the kit, and it hears each
// invocation's end and each flush. The runtime's internal property names are shortened in the
// package build; the kit's build writes in the short names (EDGE_OTEL_PROPERTY_NAMES), so that the
// library's own build, and every worker's bundle, stay as they are without the kit.
import { type Signal, type Transport, internalTelemetry } from '../index.ts'

/** What the kit hears of the isolate's telemetry while it captures. */
export interface TelemetryCapture {
  /** Takes every payload of every flush, in place of the configured transport. */
  transport: Transport
  /** Called as each flush starts (scheduled or immediate) with its promise. */
  onFlush(flushing: Promise<void>): void
  /** Called as each invocation ends (a request, batch or cron run), before its flush. */
  onInvocationEnd(): void
}

/** The kit's hold on the isolate's telemetry. */
export interface CaptureControl {
  /** Exports what is buffered now, to the capture. */
  flush(): Promise<void>
  /** Requests started and not yet ended. */
  openRequests(): number
}

// esbuild's mangle cache: each name to its short name, or false for a name left as it is.
declare const EDGE_OTEL_PROPERTY_NAMES: Record<string, string | false> | undefined
const shortNames: Record<string, string | false> = typeof EDGE_OTEL_PROPERTY_NAMES === 'object' ? EDGE_OTEL_PROPERTY_NAMES : {}
/** A runtime property's name as the build wrote it (its own name when run from the sources). */
const property = (name: string) => shortNames[name] || name

type Runtime = Record<string, unknown>
type Method = (this: Runtime, ...args: unknown[]) => unknown
const runtime = internalTelemetry as Runtime
const CAPTURED_SIGNALS: Signal[] = ['traces', 'metrics', 'logs']

/** Sends every signal to the capture, whether or not the worker's env names an endpoint. */
function captureInto(capture: TelemetryCapture): void {
  const signals = (runtime.config as Runtime | undefined)?.[property('signals')] as Runtime | undefined
  if (!signals) return
  ;(runtime[property('adapt')] as Method).call(runtime, () => ({ transport: capture.transport }))
  const protocol = (Object.values(signals).find(Boolean) as { protocol?: string } | undefined)?.protocol ?? 'http/protobuf'
  for (const signal of CAPTURED_SIGNALS) signals[signal] ??= { url: 'edge-otel:testing', headers: {}, protocol, timeout: 0, gzip: false }
}

/** Wraps one of the runtime's methods (by its source name) on the instance. */
function wrap(name: string, around: (original: Method) => Method): void {
  const key = property(name)
  const original = runtime[key] as Method
  if (typeof original !== 'function') throw new Error(`edge-otel/testing: the edge-otel runtime has no ${name}; are edge-otel and edge-otel/testing from one package build?`)
  runtime[key] = around(original)
}

/**
 * From now on, routes the isolate's exports to `capture` (every signal, whatever the worker's env
 * says) and reports each invocation's end and each flush.
 */
export function captureTelemetry(capture: TelemetryCapture): CaptureControl {
  wrap('configure', (configure) =>
    function configureCaptured(...args) {
      configure.apply(this, args)
      captureInto(capture)
    },
  )
  wrap('flush', (flush) =>
    function flushCaptured() {
      const flushing = flush.call(this) as Promise<void>
      capture.onFlush(flushing)
      return flushing
    },
  )
  // Every invocation, of any handler kind, ends by counting itself in faas.invocations or faas.errors.
  const own = runtime[property('own')] as Runtime
  for (const counter of ['invocations', 'errors']) {
    const instrument = own[property(counter)] as Runtime
    const add = instrument.add as Method
    instrument.add = function addCaptured(...args: unknown[]) {
      capture.onInvocationEnd()
      return add.apply(this, args)
    }
  }
  captureInto(capture)
  return {
    flush: () => (runtime.flush as Method).call(runtime) as Promise<void>,
    openRequests: () => (runtime[property('activeRequests')] as { size: number }).size,
  }
}
