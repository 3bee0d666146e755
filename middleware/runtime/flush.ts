// Where no platform keeps the runtime alive for an export (a long-lived server, Lambda), the one call
// that exports what is buffered and waits for every export under way: at shutdown, and before a
// Lambda handler returns.
import type { Transport } from '../exporter/export.ts'
import { telemetry } from './telemetry.ts'

const sending = new Set<Promise<unknown>>()
let lambdaInvocations = 0

/** The transport, with each send it makes counted as under way until it settles, so `flushTelemetry()` can wait for it. */
export function trackSends(transport: Transport): Transport {
  return {
    send(payload) {
      const sent = transport.send(payload)
      sending.add(sent)
      sent.then(
        () => sending.delete(sent),
        () => sending.delete(sent),
      )
      return sent
    },
  }
}

/** True while a handler wrapped by `instrumentLambda` runs. */
export const insideLambdaHandler = (): boolean => lambdaInvocations > 0

/**
 * Exports everything recorded so far, now, and waits for the exports already under way (on runtimes
 * `otelAnywhere()` configured). Never rejects. Call it where the runtime offers no `waitUntil` and is
 * about to stop: in your own shutdown hook, or at the end of a job.
 *
 * @example
 * Deno.addSignalListener('SIGTERM', async () => {
 *   await flushTelemetry()
 *   Deno.exit(0)
 * })
 */
export async function flushTelemetry(): Promise<void> {
  await telemetry.flush()
  await Promise.allSettled([...sending])
}

/**
 * Wraps an AWS Lambda handler (e.g. `handle(app)` from `hono/aws-lambda`) so that each invocation's
 * telemetry is exported before it returns: Lambda freezes the process once the handler has returned.
 *
 * @example
 * import { handle } from 'hono/aws-lambda'
 * export const handler = instrumentLambda(handle(app))
 */
export function instrumentLambda<A extends unknown[], R>(handler: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
  return async function tracedLambdaHandler(...args: A): Promise<R> {
    lambdaInvocations++
    try {
      return await handler(...args)
    } finally {
      lambdaInvocations--
      await flushTelemetry()
    }
  }
}
