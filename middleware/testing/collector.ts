// From Node (tests that run workers through Miniflare or wrangler): an OTLP/HTTP receiver on
// 127.0.0.1 that keeps what arrives as the same plain objects as `collectTelemetry`.
import { formatTelemetry } from './format.ts'
import type { Telemetry } from './payloads.ts'
import { startReceiver } from './receiver.ts'

export interface WaitOptions {
  /** ms to wait before failing (default 10000). */
  timeout?: number
}

/** A running OTLP/HTTP receiver for tests: point the worker's `OTEL_EXPORTER_OTLP_ENDPOINT` at `url`. */
export interface TestCollector extends Telemetry {
  /** The endpoint, e.g. `http://127.0.0.1:41234` (the receiver serves `/v1/traces`, `/v1/metrics`, `/v1/logs`). */
  url: string
  /**
   * Resolves with what has arrived once `predicate` holds for it; rejects after the timeout with a
   * message naming the timeout and what did arrive, or at once if a request could not be decoded.
   */
  waitFor(predicate: (telemetry: Telemetry) => boolean, options?: WaitOptions): Promise<Telemetry>
  /** Forgets what has arrived. */
  clear(): void
  close(): Promise<void>
}

export interface TestCollectorOptions {
  /** 0 (default) picks a free port. */
  port?: number
}

/**
 * Starts an OTLP/HTTP receiver on 127.0.0.1 that decodes protobuf and JSON, gzip-compressed or not.
 *
 * @example
 * const collector = await startTestCollector()
 * // start the worker with OTEL_EXPORTER_OTLP_ENDPOINT = collector.url, send it a request, then:
 * const telemetry = await collector.waitFor((t) => t.spans.some((s) => s.name === 'GET /orders/:id'))
 * expect(telemetry).toContainSpan({ name: 'GET /orders/:id', kind: 'server' })
 * await collector.close()
 */
export async function startTestCollector(options: TestCollectorOptions = {}): Promise<TestCollector> {
  const receiver = await startReceiver({ host: '127.0.0.1', port: options.port ?? 0 })
  const snapshot = (): Telemetry => ({ spans: [...receiver.spans], metrics: [...receiver.metrics], logs: [...receiver.logs] })
  return {
    url: receiver.url,
    get spans() {
      return receiver.spans
    },
    get metrics() {
      return receiver.metrics
    },
    get logs() {
      return receiver.logs
    },
    async waitFor(predicate, waitOptions = {}) {
      if (typeof predicate !== 'function') throw new TypeError(`waitFor takes a function of the telemetry, e.g. (t) => t.spans.length > 0; it was given ${typeof predicate}`)
      const timeout = waitOptions.timeout ?? 10_000
      if (!(typeof timeout === 'number' && timeout > 0)) throw new TypeError(`waitFor's timeout option is ${String(timeout)}; give a number of ms above 0`)
      const deadline = Date.now() + timeout
      for (;;) {
        if (receiver.errors.length) throw new Error(`the test collector could not decode a request: ${receiver.errors[0]}`)
        const telemetry = snapshot()
        if (predicate(telemetry)) return telemetry
        if (Date.now() > deadline) {
          throw new Error(`waitFor timed out after ${timeout} ms (the timeout option): the predicate never held. What arrived:\n${formatTelemetry(telemetry)}`)
        }
        await new Promise((resolve) => setTimeout(resolve, 20))
      }
    },
    clear: () => receiver.clear(),
    close: () => receiver.close(),
  }
}
