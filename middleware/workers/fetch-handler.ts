import type { Attributes } from '@opentelemetry/api'
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions'
import { KIND_SERVER, STATUS_ERROR } from '../sdk/api-values.ts'
import { now } from '../sdk/clock.ts'
import { REQUEST_ROOT } from '../sdk/context.ts'
import { headersGetter } from '../sdk/propagation.ts'
import { splitUrl } from '../semconv/url.ts'
import { telemetry } from '../runtime/telemetry.ts'
import { methodAttributes } from './fetch.ts'
import { type HandlerOptions, traceInvocation } from './invocation.ts'

/**
 * Runs a plain `fetch(request)` handler (a Durable Object's, a `WorkerEntrypoint`'s) as one
 * invocation with a SERVER span by the HTTP semantic conventions, continuing the caller's W3C
 * context from the request headers, and records `http.server.request.duration`. A 5xx response marks the
 * span ERROR with its status as `error.type`.
 */
export function traceFetchHandler(
  request: Request,
  env: unknown,
  options: HandlerOptions,
  waitUntil: (promise: Promise<unknown>) => void,
  handler: () => Response | Promise<Response>,
): Promise<Response> {
  const attributes: Attributes = {}
  const name = methodAttributes(request.method, attributes)
  const url = splitUrl(request.url)
  if (url) {
    attributes[ATTR_URL_PATH] = url.path
    attributes[ATTR_URL_SCHEME] = url.scheme
    attributes[ATTR_SERVER_ADDRESS] = url.host
  }
  const userAgent = request.headers.get('user-agent')
  if (userAgent) attributes[ATTR_USER_AGENT_ORIGINAL] = userAgent
  const parent = telemetry.propagator.extract(REQUEST_ROOT, request.headers, headersGetter)
  const start = now()
  let status = 500
  let errorType: string | undefined = '500'
  const handled = traceInvocation(env, options, { trigger: 'http', name, kind: KIND_SERVER, attributes, parent, headers: request.headers }, waitUntil, handler, (span, response) => {
    status = response.status
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status)
    errorType = status < 500 ? undefined : String(status)
    if (errorType) span.setAttribute(ATTR_ERROR_TYPE, errorType).setStatus({ code: STATUS_ERROR })
    return errorType
  })
  return handled.finally(() => {
    // A handler that threw answered nothing: recorded as a 500, as the runtime answers it.
    const metric: Attributes = {}
    if (errorType) metric[ATTR_ERROR_TYPE] = errorType
    metric[ATTR_HTTP_REQUEST_METHOD] = attributes[ATTR_HTTP_REQUEST_METHOD]
    metric[ATTR_HTTP_RESPONSE_STATUS_CODE] = status
    metric[ATTR_URL_SCHEME] = url?.scheme ?? 'http'
    telemetry.own.serverDuration.record((now() - start) / 1000, metric)
  })
}
