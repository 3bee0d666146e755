import { type Attributes, context, propagation, trace } from '@opentelemetry/api'
import { KIND_CLIENT, STATUS_ERROR } from '../sdk/api-values.ts'
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_METHOD_ORIGINAL,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
  ATTR_URL_SCHEME,
} from '@opentelemetry/semantic-conventions'
import { now } from '../sdk/clock.ts'
import { SUPPRESS_TRACING } from '../sdk/context.ts'
import { headersSetter } from '../sdk/propagation.ts'
import { redactUrl } from '../semconv/redact.ts'
import { telemetry } from '../runtime/telemetry.ts'
import { recordFailure } from '../sdk/trace/tracer.ts'
import { rpcBinding } from './rpc-client.ts'

// The methods the HTTP semantic conventions know; others are recorded as _OTHER.
const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'CONNECT', 'OPTIONS', 'TRACE', 'PATCH'])

/**
 * Sets the semconv method attributes (known methods as-is, others as `_OTHER` plus the original) and
 * returns what the span name starts with: the method, or `HTTP` for an unknown one. Methods are
 * case-sensitive (RFC 9110): `patch` is not `PATCH`. Fetch already upper-cases the six it normalizes.
 */
export function methodAttributes(method: string, target: Attributes): string {
  if (KNOWN_METHODS.has(method)) {
    target[ATTR_HTTP_REQUEST_METHOD] = method
    return method
  }
  target[ATTR_HTTP_REQUEST_METHOD] = '_OTHER'
  target[ATTR_HTTP_REQUEST_METHOD_ORIGINAL] = method
  return 'HTTP'
}

/** A `fetch` function: the global one or a service binding's. */
export type FetchLike = (input: Request | string | URL, init?: RequestInit) => Promise<Response>

/**
 * Wraps a fetch function (global `fetch` or a service binding's) so each call inside a traced
 * request gets a CLIENT span, `http.client.request.duration`, and injected W3C headers.
 * Outside a traced request, and where the OpenTelemetry SDK suppresses tracing (around its exporters'
 * own requests), it passes the call through untouched.
 */
export function instrumentFetch<F extends FetchLike>(fetchFn: F, binding = false): F {
  return async function tracedFetch(input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
    const active = context.active()
    if (!trace.getSpan(active) || active.getValue(SUPPRESS_TRACING) === true) return fetchFn(input, init)
    let request: Request
    let url: URL
    try {
      request = new Request(input, init)
      url = new URL(request.url)
    } catch {
      return fetchFn(input, init)
    }
    const attributes: Attributes = {}
    const spanName = methodAttributes(request.method, attributes)
    const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80
    attributes[ATTR_SERVER_ADDRESS] = url.hostname
    attributes[ATTR_SERVER_PORT] = port
    attributes[ATTR_URL_FULL] = url.search || url.username || url.password ? redactUrl(url.href, telemetry.sensitiveQueryKeys) : url.href
    const metricAttributes: Attributes = {
      [ATTR_HTTP_REQUEST_METHOD]: attributes[ATTR_HTTP_REQUEST_METHOD],
      [ATTR_SERVER_ADDRESS]: url.hostname,
      [ATTR_SERVER_PORT]: port,
      [ATTR_URL_SCHEME]: url.protocol.slice(0, -1),
    }
    const span = telemetry.own.tracer.startSpan(spanName, { kind: KIND_CLIENT, attributes }, active)
    propagation.inject(trace.setSpan(active, span), request.headers, headersSetter)
    const traceId = span.spanContext().traceId
    telemetry.tail?.outbound(request.headers, traceId, binding)
    const start = now()
    try {
      const response = await fetchFn(request)
      const status = response.status
      span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status)
      metricAttributes[ATTR_HTTP_RESPONSE_STATUS_CODE] = status
      if (status >= 400) {
        span.setAttribute(ATTR_ERROR_TYPE, String(status))
        span.setStatus({ code: STATUS_ERROR })
        metricAttributes[ATTR_ERROR_TYPE] = String(status)
      }
      return telemetry.tail?.answered(response, traceId, binding) ?? response
    } catch (error) {
      metricAttributes[ATTR_ERROR_TYPE] = recordFailure(span, error)
      throw error
    } finally {
      span.end()
      telemetry.own.clientDuration.record((now() - start) / 1000, metricAttributes)
    }
  } as F
}

let globalFetchPatched = false

/** Replaces global `fetch` with the traced one, once per isolate. */
export function instrumentGlobalFetch(): void {
  if (globalFetchPatched) return
  globalFetchPatched = true
  globalThis.fetch = instrumentFetch(globalThis.fetch.bind(globalThis)) as typeof fetch
}
