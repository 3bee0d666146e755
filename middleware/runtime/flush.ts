// Exports that run in the background where nothing keeps the runtime alive for them, and the one
// call that waits for all of them: at shutdown, and before a Lambda handler returns.
import { telemetry } from './telemetry.ts'

const pending = new Set<Promise<unknown>>()
let lambdaInvocations = 0

/** Keeps track of an export no platform waits for, so that `flushTelemetry()` can. */
export function keepFlushing(flushing: Promise<unknown>): void {
  pending.add(flushing)
  void flushing.finally(() => pending.delete(flushing))
}

/** True while a handler wrapped by `instrumentLambda` runs. */
export const insideLambdaHandler = (): boolean => lambdaInvocations > 0

/**
 * Exports everything recorded so far and waits for the exports already under way. Never rejects.
 * Call it where the runtime offers no `waitUntil` and is about to stop: in your own shutdown hook,
 * or at the end of a job.
 *
 * @example
 * Deno.addSignalListener('SIGTERM', async () => {
 *   await flushTelemetry()
 *   Deno.exit(0)
 * })
 */
export async function flushTelemetry(): Promise<void> {
  await Promise.all([...pending, telemetry.flush()])
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
