import { type Attributes, type Context as ApiContext, ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, propagation, trace } from '@opentelemetry/api'
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions'
import type { Context, MiddlewareHandler } from 'hono'
import { matchedRoutes } from 'hono/route'
import { now } from './clock.ts'
import type { OtelOptions } from './config.ts'
import type { Transport } from './export.ts'
import { instrumentEnv, instrumentGlobalFetch, methodAttributes } from './fetch.ts'
import { headersGetter } from './propagation.ts'
import { telemetry } from './telemetry.ts'
import { splitUrl } from './url.ts'

/** Options of the `otel()` middleware. */
export interface OtelMiddlewareOptions extends OtelOptions {
  /** Replaces the OTLP/HTTP transport, e.g. to send elsewhere. */
  transport?: Transport
}

/** Hono variables set by the middleware: `c.get('span')` is the request's SERVER span. */
export type OtelVariables = { span: Span }

const defaults: OtelMiddlewareOptions = { instrumentGlobalFetch: true }

function routeOf(c: Context, self: unknown): string | undefined {
  const route = matchedRoutes(c)[c.req.routeIndex]
  if (!route || route.handler === self) return undefined
  // A middleware that fell through to Hono's not-found handler did not route the request.
  if (route.handler.length >= 2 && c.res.status === 404) return undefined
  return route.path
}

function errorTypeOf(error: Error): string {
  return error.name || error.constructor.name || '_OTHER'
}

/** Exports after the response, inside `waitUntil` when there is an execution context. */
function flushAfterResponse(c: Context): void {
  const flushing = telemetry.requestEnded()
  if (!flushing) return
  try {
    c.executionCtx.waitUntil(flushing)
  } catch {
    // No ExecutionContext (plain app.fetch in a test): the flush still runs.
  }
}

/**
 * Traces each request with a SERVER span (HTTP semantic conventions), continues the caller's
 * W3C trace context, records `http.server.request.duration`, traces outbound `fetch` and
 * service-binding calls, and exports over OTLP/HTTP in `executionCtx.waitUntil` after the response.
 *
 * Configuration comes from the worker's env (`OTEL_SERVICE_NAME`, `OTEL_EXPORTER_OTLP_ENDPOINT`, …);
 * options given here override it. A telemetry failure never changes the response.
 *
 * @example
 * import { Hono } from 'hono'
 * import { otel } from 'edge-otel'
 *
 * const app = new Hono()
 * app.use(otel({ serviceName: 'orders' }))
 * app.get('/orders/:id', (c) => c.json({ id: c.req.param('id') }))
 * export default app
 */
export const otel = (config?: OtelMiddlewareOptions): MiddlewareHandler => {
  const options = { ...defaults, ...config }
  if (options.instrumentGlobalFetch) instrumentGlobalFetch()

  return async function otelMiddleware(c, next) {
    let span: Span
    let requestContext: ApiContext
    let start: number
    let method: string
    let scheme: string
    let activeAttributes: Attributes
    try {
      telemetry.configure(c.env as Record<string, unknown>, options, options.transport)
      if (c.env && typeof c.env === 'object') c.env = instrumentEnv(c.env)
      const request = c.req.raw
      const url = splitUrl(request.url)
      const attributes: Attributes = {}
      method = methodAttributes(request.method, attributes)
      scheme = url?.scheme ?? 'http'
      attributes[ATTR_URL_PATH] = url?.path ?? c.req.path
      attributes[ATTR_URL_SCHEME] = scheme
      if (url) attributes[ATTR_SERVER_ADDRESS] = url.host
      if (url?.port) attributes[ATTR_SERVER_PORT] = url.port
      const userAgent = request.headers.get('user-agent')
      if (userAgent) attributes[ATTR_USER_AGENT_ORIGINAL] = userAgent
      const parent = propagation.extract(ROOT_CONTEXT, request.headers, headersGetter)
      span = telemetry.tracer.startSpan(method === '_OTHER' ? 'HTTP' : method, { kind: SpanKind.SERVER, attributes }, parent)
      requestContext = trace.setSpan(parent, span)
      c.set('span' as never, span as never)
      activeAttributes = { [ATTR_HTTP_REQUEST_METHOD]: attributes[ATTR_HTTP_REQUEST_METHOD], [ATTR_URL_SCHEME]: scheme }
      start = now()
      telemetry.activeRequests.add(1, activeAttributes)
    } catch (error) {
      telemetry.warnOnce(`could not start the request span (${String(error)}); the request is served untraced.`, 'start')
      return next()
    }

    let thrown: Error | undefined
    try {
      await telemetry.contextManager.with(requestContext, next)
    } catch (error) {
      thrown = error instanceof Error ? error : new Error(String(error))
      throw error
    } finally {
      try {
        telemetry.activeRequests.add(-1, activeAttributes)
        const status = thrown ? 500 : c.res.status
        // An exception Hono turned into a 4xx (HTTPException) is an answer, not a server error.
        const error = thrown ?? (status >= 500 ? c.error : undefined)
        const errorType = error ? errorTypeOf(error) : status >= 500 ? String(status) : undefined
        const route = routeOf(c, otelMiddleware)
        if (route) {
          span.setAttribute(ATTR_HTTP_ROUTE, route)
          span.updateName(`${method === '_OTHER' ? 'HTTP' : method} ${route}`)
        }
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status)
        if (error) span.recordException(error)
        if (errorType) span.setAttribute(ATTR_ERROR_TYPE, errorType)
        if (error || status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: error?.message })
        span.end()
        // Keys in sorted order, so the series lookup needs no sort.
        const metricAttributes: Attributes = {}
        if (errorType) metricAttributes[ATTR_ERROR_TYPE] = errorType
        metricAttributes[ATTR_HTTP_REQUEST_METHOD] = activeAttributes[ATTR_HTTP_REQUEST_METHOD]
        metricAttributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = status
        if (route) metricAttributes[ATTR_HTTP_ROUTE] = route
        metricAttributes[ATTR_URL_SCHEME] = scheme
        telemetry.serverDuration.record((now() - start) / 1000, metricAttributes)
        flushAfterResponse(c)
      } catch (error) {
        telemetry.warnOnce(`could not end the request span (${String(error)}).`, 'end')
      }
    }
  }
}
