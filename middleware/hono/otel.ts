import { type Attributes, type Context as ApiContext, type Span, trace } from '@opentelemetry/api'
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
import { ATTR_FAAS_COLDSTART, ATTR_FAAS_TRIGGER, FAAS_TRIGGER_VALUE_HTTP } from '@opentelemetry/semantic-conventions/incubating'
import type { Context, MiddlewareHandler } from 'hono'
import { matchedRoutes } from 'hono/route'
import { now } from '../sdk/clock.ts'
import type { OtelOptions } from '../runtime/config.ts'
import { REQUEST_ROOT } from '../sdk/context.ts'
import { type JsonEncoding, type Transport, useJsonEncoding } from '../exporter/export.ts'
import { instrumentEnv, instrumentGlobalFetch, methodAttributes } from '../workers/fetch.ts'
import { headersGetter } from '../sdk/propagation.ts'
import { setResponseHeader } from './response-headers.ts'
import { telemetry } from '../runtime/telemetry.ts'
import { redactQuery } from '../semconv/redact.ts'
import { recordFailure } from '../sdk/trace/tracer.ts'
import { splitUrl } from '../semconv/url.ts'

/** Options of the `otel()` middleware. */
export interface OtelMiddlewareOptions extends OtelOptions {
  /** Replaces the OTLP/HTTP transport, e.g. to send elsewhere. */
  transport?: Transport
  /** `[otlpJson]` lets `OTEL_EXPORTER_OTLP_PROTOCOL=http/json` work; without it the JSON encoder is not bundled. */
  encodings?: JsonEncoding[]
}

const defaults: OtelMiddlewareOptions = { instrumentGlobalFetch: true }

function routeOf(c: Context, self: unknown): string | undefined {
  const route = matchedRoutes(c)[c.req.routeIndex]
  if (!route || route.handler === self) return undefined
  // A middleware that fell through to Hono's not-found handler did not route the request.
  if (route.handler.length >= 2 && c.res.status === 404) return undefined
  return route.path
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

const FAAS_HTTP: Attributes = Object.freeze({ [ATTR_FAAS_TRIGGER]: FAAS_TRIGGER_VALUE_HTTP })

/** What the middleware keeps about one request between its start and its end. */
interface RequestTelemetry {
  span: Span
  context: ApiContext
  start: number
  /** The method as span names start with it (`HTTP` for an unknown one). */
  spanName: string
  scheme: string
  activeAttributes: Attributes
}

function startRequest(c: Context, options: OtelMiddlewareOptions): RequestTelemetry {
  telemetry.configure(c.env as Record<string, unknown>, options, options.transport)
  if (c.env && typeof c.env === 'object') c.env = instrumentEnv(c.env)
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
  // workerd says which HTTP version the client spoke: "HTTP/1.1", "HTTP/2", "HTTP/3".
  const protocol = (raw as { cf?: { httpProtocol?: unknown } }).cf?.httpProtocol
  if (typeof protocol === 'string' && protocol.startsWith('HTTP/')) attributes[ATTR_NETWORK_PROTOCOL_VERSION] = protocol.slice(5)
  if (telemetry.config!.recordClientAddress) {
    const client = headers.get('cf-connecting-ip') ?? headers.get('x-forwarded-for')?.split(',')[0].trim()
    if (client) attributes[ATTR_CLIENT_ADDRESS] = client
  }
  const parent = telemetry.propagator.extract(REQUEST_ROOT, headers, headersGetter)
  attributes[ATTR_FAAS_TRIGGER] = FAAS_TRIGGER_VALUE_HTTP
  const coldStart = telemetry.takeColdStart()
  if (coldStart) {
    attributes[ATTR_FAAS_COLDSTART] = true
    telemetry.own.coldStarts.add(1, FAAS_HTTP)
  }
  const span = telemetry.own.tracer.startSpan(spanName, { kind: KIND_SERVER, attributes }, parent)
  const activeAttributes = { [ATTR_HTTP_REQUEST_METHOD]: attributes[ATTR_HTTP_REQUEST_METHOD], [ATTR_URL_SCHEME]: scheme }
  telemetry.tail?.open(span, headers)
  const request = { span, context: trace.setSpan(parent, span), start: now(), spanName, scheme, activeAttributes }
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
    const span = r.span
    if (route) {
      span.setAttribute(ATTR_HTTP_ROUTE, route)
      span.updateName(`${r.spanName} ${route}`)
    }
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status)
    let errorType: string | undefined
    if (error) {
      errorType = recordFailure(span, error)
      // Hono's HTTPException is a plain Error by name: its status says more.
      if (status >= 500 && typeof (error as { getResponse?: unknown }).getResponse === 'function') {
        span.setAttribute(ATTR_ERROR_TYPE, (errorType = String(status)))
      }
    } else if (status >= 500) {
      errorType = String(status)
      span.setAttribute(ATTR_ERROR_TYPE, errorType)
      span.setStatus({ code: STATUS_ERROR })
    }
    span.end()
    telemetry.tail?.close(span, (name, value) => setResponseHeader(c, name, value))
    // Keys in sorted order, so the series lookup needs no sort.
    const metricAttributes: Attributes = {}
    if (errorType) metricAttributes[ATTR_ERROR_TYPE] = errorType
    metricAttributes[ATTR_HTTP_REQUEST_METHOD] = r.activeAttributes[ATTR_HTTP_REQUEST_METHOD]
    metricAttributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = status
    if (route) metricAttributes[ATTR_HTTP_ROUTE] = route
    metricAttributes[ATTR_URL_SCHEME] = r.scheme
    telemetry.own.serverDuration.record((now() - r.start) / 1000, metricAttributes)
    ;(errorType ? telemetry.own.errors : telemetry.own.invocations).add(1, FAAS_HTTP)
    flushAfterResponse(c)
  } catch (error) {
    telemetry.warnOnce(`could not end a request span: ${String(error)}`, 'end')
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
export const otel = (config?: OtelMiddlewareOptions): MiddlewareHandler => {
  const options = { ...defaults, ...config }
  if (options.instrumentGlobalFetch) instrumentGlobalFetch()
  for (const encoding of options.encodings ?? []) useJsonEncoding(encoding)

  return function otelMiddleware(c, next) {
    let request: RequestTelemetry
    try {
      request = startRequest(c, options)
    } catch (error) {
      telemetry.warnOnce(`request served untraced: ${String(error)}`, 'start')
      return next()
    }
    let handled: Promise<void>
    try {
      handled = telemetry.contextManager.with(request.context, next)
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
