import type { Attributes } from '@opentelemetry/api'
import { KIND_SERVER, STATUS_ERROR } from '../sdk/api-values.ts'
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_QUERY,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions'
import type { Context, MiddlewareHandler } from 'hono'
import { HTTPException } from 'hono/http-exception'
import { matchedRoutes } from 'hono/route'
import { now } from '../sdk/clock.ts'
import { REQUEST_ROOT } from '../sdk/context.ts'
import { methodAttributes } from '../workers/fetch.ts'
import { instrumentEnv } from '../workers/bindings/env.ts'
import { headersGetter } from '../sdk/propagation.ts'
import { setResponseHeader } from './response-headers.ts'
import { telemetry } from '../runtime/telemetry.ts'
import { warnOnce } from '../runtime/warnings.ts'
import { redactQuery } from '../semconv/redact.ts'
import { recordFailure } from '../sdk/trace/tracer.ts'
import { splitUrl } from '../semconv/url.ts'
import { type HandlerOptions, type Invocation, configureInvocation, endInvocation, prepareHandler, runInvocation, startInvocation } from '../workers/invocation.ts'

/** Options of the `otel()` middleware: those every handler takes. */
export type OtelMiddlewareOptions = HandlerOptions

function routeOf(c: Context, self: unknown): string | undefined {
  const route = matchedRoutes(c)[c.req.routeIndex]
  if (!route || route.handler === self) return undefined
  // A middleware that fell through to Hono's not-found handler did not route the request.
  if (route.handler.length >= 2 && c.res.status === 404) return undefined
  return route.path
}

/** What the middleware keeps about one request between its start and its end. */
interface RequestTelemetry {
  invocation: Invocation
  start: number
  /** The method as span names start with it (`HTTP` for an unknown one). */
  spanName: string
  scheme: string
  activeAttributes: Attributes
}

function startRequest(c: Context, options: OtelMiddlewareOptions): RequestTelemetry {
  configureInvocation(c.env, options)
  const raw = c.req.raw
  const url = splitUrl(raw.url)
  const attributes: Attributes = {}
  const spanName = methodAttributes(raw.method, attributes)
  const scheme = url?.scheme ?? 'http'
  attributes[ATTR_URL_PATH] = url?.path ?? c.req.path
  if (url?.query) attributes[ATTR_URL_QUERY] = redactQuery(url.query, telemetry.sensitiveQueryKeys)
  attributes[ATTR_URL_SCHEME] = scheme
  if (url) attributes[ATTR_SERVER_ADDRESS] = url.host
  if (url?.port) attributes[ATTR_SERVER_PORT] = url.port
  const headers = raw.headers
  const userAgent = headers.get('user-agent')
  if (userAgent) attributes[ATTR_USER_AGENT_ORIGINAL] = userAgent
  const config = telemetry.config!
  if (config.recordProtocolVersion) {
    // workerd says which HTTP version the client spoke: "HTTP/1.1", "HTTP/2", "HTTP/3" (always "HTTP/…").
    const protocol = (raw as { cf?: { httpProtocol?: string } }).cf?.httpProtocol
    if (protocol) attributes[ATTR_NETWORK_PROTOCOL_VERSION] = protocol.slice(5)
  }
  if (config.recordClientAddress) {
    const client = headers.get('cf-connecting-ip') ?? headers.get('x-forwarded-for')?.split(',')[0].trim()
    if (client) attributes[ATTR_CLIENT_ADDRESS] = client
  }
  const parent = telemetry.propagator.extract(REQUEST_ROOT, headers, headersGetter)
  const activeAttributes = { [ATTR_HTTP_REQUEST_METHOD]: attributes[ATTR_HTTP_REQUEST_METHOD], [ATTR_URL_SCHEME]: scheme }
  const invocation = startInvocation({ trigger: 'http', name: spanName, kind: KIND_SERVER, attributes, parent, headers })
  if (c.env && typeof c.env === 'object') c.env = instrumentEnv(c.env)
  const request = { invocation, start: now(), spanName, scheme, activeAttributes }
  // Last, so nothing that throws above leaves the request counted: endRequest ends what this starts.
  telemetry.activeRequests.start(request, activeAttributes)
  return request
}

/** Ends the span, records the request metrics and schedules the export. Never throws. */
function endRequest(c: Context, r: RequestTelemetry, self: unknown, thrown: unknown): void {
  try {
    telemetry.activeRequests.end(r)
    const status = thrown ? 500 : c.res.status
    // An exception Hono turned into a 4xx (HTTPException) is an answer, not a server error.
    const error = thrown ? asError(thrown) : status >= 500 ? c.error : undefined
    const route = routeOf(c, self)
    const span = r.invocation.span
    if (route) {
      span.setAttribute(ATTR_HTTP_ROUTE, route)
      span.updateName(`${r.spanName} ${route}`)
    }
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status)
    let errorType = error && recordFailure(span, error)
    // A 5xx answer with no exception, or Hono's HTTPException (a plain Error by name): the status says more.
    if (status >= 500 && (!error || error instanceof HTTPException)) {
      span.setAttribute(ATTR_ERROR_TYPE, (errorType = String(status)))
      if (!error) span.setStatus({ code: STATUS_ERROR })
    }
    endInvocation(r.invocation, {
      errorType,
      answer: (name, value) => setResponseHeader(c, name, value),
      waitUntil: (flushing) => c.executionCtx.waitUntil(flushing),
    })
    // Keys in sorted order, so the series lookup needs no sort.
    const metricAttributes: Attributes = {}
    if (errorType) metricAttributes[ATTR_ERROR_TYPE] = errorType
    metricAttributes[ATTR_HTTP_REQUEST_METHOD] = r.activeAttributes[ATTR_HTTP_REQUEST_METHOD]
    metricAttributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = status
    if (route) metricAttributes[ATTR_HTTP_ROUTE] = route
    metricAttributes[ATTR_URL_SCHEME] = r.scheme
    telemetry.own.serverDuration.record((now() - r.start) / 1000, metricAttributes)
  } catch (error) {
    warnOnce(`could not end a request span: ${String(error)}`, 'end')
  }
}

function asError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value))
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
export const otel = (options: OtelMiddlewareOptions = {}): MiddlewareHandler => {
  prepareHandler(options)

  return function otelMiddleware(c, next) {
    let request: RequestTelemetry
    try {
      request = startRequest(c, options)
    } catch (error) {
      warnOnce(`request served untraced: ${String(error)}`, 'start')
      return next()
    }
    let handled: Promise<void>
    try {
      handled = runInvocation(request.invocation, next)
    } catch (error) {
      endRequest(c, request, otelMiddleware, error)
      throw error
    }
    return handled.then(
      () => endRequest(c, request, otelMiddleware, undefined),
      (error: unknown) => {
        endRequest(c, request, otelMiddleware, error)
        throw error
      },
    )
  }
}
