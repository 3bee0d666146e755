import { trace } from '@opentelemetry/api'
import type { Context, MiddlewareHandler } from 'hono'
import { formatTraceparent } from '../sdk/propagation.ts'

/**
 * Sets (or appends) a header on the response, on a copy when its headers are immutable, as those
 * of a response relayed from `fetch` are.
 */
export function setResponseHeader(c: Context, name: string, value: string, append = false): void {
  const write = () => (append ? c.res.headers.append(name, value) : c.res.headers.set(name, value))
  try {
    write()
  } catch {
    c.res = new Response(c.res.body, c.res)
    write()
  }
}

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
    if (traceresponse) setResponseHeader(c, 'traceresponse', value)
    if (serverTiming) setResponseHeader(c, 'server-timing', `traceparent;desc="${value}"`, true)
  }
}
