import { ATTR_CLOUD_PLATFORM, ATTR_CLOUD_PROVIDER } from '@opentelemetry/semantic-conventions/incubating'
import type { Context, MiddlewareHandler } from 'hono'
import { flushTelemetry, insideLambdaHandler, trackSends } from '../runtime/flush.ts'
import { readSwitch } from '../runtime/env.ts'
import { OffThreadGzip, compressingWith } from '../runtime/gzip-worker.ts'
import { type Platform, type WaitUntil, detectPlatform } from '../runtime/platform.ts'
import { flushOnShutdown } from '../runtime/shutdown.ts'
import { telemetry } from '../runtime/telemetry.ts'
import { warnOnce } from '../runtime/warnings.ts'
import { instrumentCaches } from '../workers/bindings/cache.ts'
import { configureInvocation } from '../workers/invocation.ts'
import { type OtelMiddlewareOptions, otel } from './otel.ts'

/** Options of `otelAnywhere()`: those of `otel()`, and a `waitUntil` for a platform the library does not know. */
export interface AnywhereOptions extends OtelMiddlewareOptions {
  /** Keeps the runtime alive for the export after the response, where neither Hono nor a known platform offers one. */
  waitUntil?: WaitUntil
}

/** `EDGE_OTEL_GZIP_WORKER`: in a long-lived server, gzip exports on a Web Worker (docs/runtimes.md). */
export const GZIP_WORKER = 'EDGE_OTEL_GZIP_WORKER'

/**
 * Configures the process from its environment on the first request, and puts the runtime into the
 * resource in place of Workers' cloud (the attributes the user set stay theirs). Its sends are tracked
 * for `flushTelemetry()`. Without `CompressionStream` (Vercel Edge) exports go uncompressed (telemetry.ts).
 * In a long-lived server with `EDGE_OTEL_GZIP_WORKER=true` and the built-in transport, exports are gzipped
 * on a Web Worker.
 */
function configureForPlatform(platform: Platform, options: AnywhereOptions): void {
  configureInvocation(platform.env, options)
  const problems: string[] = []
  const onWorker = readSwitch(platform.env, GZIP_WORKER, problems)
  for (const problem of problems) warnOnce(problem)
  telemetry.adapt((workers, config, transport) => {
    const resource = { ...workers }
    const chosen = config.resourceAttributes
    for (const key of [ATTR_CLOUD_PROVIDER, ATTR_CLOUD_PLATFORM]) if (!(key in chosen)) delete resource[key]
    for (const [key, value] of Object.entries(platform.resource)) if (!(key in chosen)) resource[key] = value
    if (onWorker && transport && !options.transport && platform.lifetime === 'server') {
      const compressor = new OffThreadGzip((message) => warnOnce(message, 'gzip-worker'))
      transport = compressingWith(compressor, transport, config.signals)
    }
    return { resource, transport: transport && trackSends(transport) }
  })
}

type AdapterExecutionContext = { waitUntil: WaitUntil; passThroughOnException(): void; props: object }

/** Hono's own `executionCtx` getter, from the context's prototype chain. */
function honoExecutionContext(c: Context): (() => AdapterExecutionContext) | undefined {
  for (let proto = Object.getPrototypeOf(c); proto; proto = Object.getPrototypeOf(proto)) {
    const getter = Object.getOwnPropertyDescriptor(proto, 'executionCtx')?.get
    if (getter) return getter
  }
  return undefined
}

/**
 * A `c.executionCtx` that falls back to one whose `waitUntil` is the platform's where Hono's adapter gave
 * none, so that `otel()` (and any other middleware that calls `c.executionCtx.waitUntil`) works as on
 * Workers. Hono's own is asked first, when it is read: Hono throws where there is none (every runtime but
 * workerd and Fastly), which costs a stack trace, so it is read only when an export is scheduled, not per
 * request. One descriptor per middleware, its getter shared by every request, so that the contexts keep
 * one shape. `passThroughOnException` of the fallback does nothing.
 */
function executionContextProperty(fallback: (c: Context) => AdapterExecutionContext): PropertyDescriptor {
  let hono: (() => AdapterExecutionContext) | undefined
  let looked = false
  return {
    configurable: true,
    get(this: Context): AdapterExecutionContext {
      if (!looked) {
        hono = honoExecutionContext(this)
        looked = true
      }
      const stackTraceLimit = Error.stackTraceLimit
      Error.stackTraceLimit = 0
      try {
        if (hono) return hono.call(this)
      } catch {
        // No ExecutionContext from the adapter.
      } finally {
        Error.stackTraceLimit = stackTraceLimit
      }
      return fallback(this)
    },
  }
}

/**
 * `otel()` for every runtime besides workerd: Deno (Deno.serve, Deno Deploy, Supabase and Netlify Edge
 * Functions), Bun, Node (`@hono/node-server`), Vercel and AWS Lambda. Settings come from the process's
 * environment. The export after the response goes, in this order, to Hono's `c.executionCtx.waitUntil`;
 * the platform's own `waitUntil` (Netlify's context, Supabase's `EdgeRuntime`, Vercel's request context);
 * the `waitUntil` option; else, in a long-lived server, to the background, with what is left exported on
 * SIGTERM or SIGINT; and on Lambda to `instrumentLambda`, which waits for it before the handler returns.
 * Each request's `c.executionCtx` falls back to that choice where Hono's adapter gave none.
 *
 * @example
 * import { Hono } from 'hono'
 * import { otelAnywhere } from 'edge-otel'
 *
 * const app = new Hono()
 * app.use(otelAnywhere({ serviceName: 'orders' }))
 * app.get('/orders/:id', (c) => c.json({ id: c.req.param('id') }))
 * Deno.serve({ port: 8788 }, app.fetch)
 */
export const otelAnywhere = (options: AnywhereOptions = {}): MiddlewareHandler => {
  const platform = detectPlatform()
  const traced = otel(options)

  /** The platform's `waitUntil`, the option's, or none (the export runs in the background; `flushTelemetry()` waits for it). */
  const waitUntilFor = (c: Context): WaitUntil => {
    const waitUntil = platform.waitUntil(c.env) ?? options.waitUntil
    if (waitUntil) return waitUntil
    if (platform.lifetime === 'server') flushOnShutdown(flushTelemetry)
    else if (platform.lifetime === 'function') {
      warnOnce('this platform offers no waitUntil the library knows: pass otelAnywhere({ waitUntil }), or exports may be cut off after the response.', 'wait-until')
    }
    return () => {}
  }
  const executionContext = executionContextProperty((c) => ({ waitUntil: waitUntilFor(c), passThroughOnException() {}, props: {} }))

  return function otelAnywhereMiddleware(c, next) {
    const env = c.env
    try {
      if (!telemetry.config) {
        configureForPlatform(platform, options)
        instrumentCaches()
      }
      // Asked per request: the export is scheduled only by the first of the requests that share it.
      if (platform.lifetime === 'lambda' && !insideLambdaHandler()) {
        warnOnce('on AWS Lambda, wrap the handler in instrumentLambda(handle(app)), or telemetry is lost when the invocation is frozen.', 'lambda')
      }
      Object.defineProperty(c, 'executionCtx', executionContext)
    } catch (error) {
      warnOnce(`could not read the runtime's settings: ${String(error)}`, 'platform')
    }
    // Outside workerd, c.env is the adapter's (Deno's ServeHandlerInfo, Node's request and response),
    // new for each request and without bindings: hidden from otel() while it starts the request, it is
    // not wrapped for bindings, which cost a Proxy and a WeakMap entry per request (about 2 µs on Deno).
    c.env = undefined
    return traced(c, () => {
      c.env = env
      return next()
    })
  }
}
