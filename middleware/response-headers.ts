import { trace } from '@opentelemetry/api'
import type { MiddlewareHandler } from 'hono'
import { formatTraceparent } from './propagation.ts'

export interface TraceResponseOptions {
  /** Send `traceresponse` (W3C Trace Context Level 2). Default true. */
  traceresponse?: boolean
  /** Send `Server-Timing: traceparent;desc="…"`, which browsers show in their network panel. Default false. */
  serverTiming?: boolean
}

/**
 * Tells callers the trace id of their request, in `traceresponse` and/or `Server-Timing`.
 * Off unless you add it: on a public endpoint it lets anyone see your trace ids and sampling.
 * Add it after `otel()`, so the request span is active.
 *
 * @example
 * app.use(otel(), traceResponse({ serverTiming: true }))
 */
export const traceResponse = (options: TraceResponseOptions = {}): MiddlewareHandler => {
  const { traceresponse = true, serverTiming = false } = options
  return async function traceResponseHeaders(c, next) {
    const span = trace.getActiveSpan()
    await next()
    const ctx = span?.spanContext()
    if (!ctx || !trace.isSpanContextValid(ctx)) return
    const value = formatTraceparent(ctx)
    if (traceresponse) c.res.headers.set('traceresponse', value)
    if (serverTiming) c.res.headers.append('server-timing', `traceparent;desc="${value}"`)
  }
}
