import { type HandlerOptions, prepareHandler } from './invocation.ts'
import { serveClass } from './rpc-server.ts'

/** The handlers workerd calls on an entrypoint itself; every other method is an RPC method. */
const HANDLERS = new Set(['fetch', 'queue', 'scheduled', 'email', 'tail', 'tailStream', 'trace', 'test'])

// biome-ignore lint: the user's constructor arguments
/** A class `instrumentEntrypoint` can wrap: a `WorkerEntrypoint`. */
export type InstrumentableEntrypoint = new (...args: any[]) => object

/**
 * A `WorkerEntrypoint` class with a SERVER span per RPC method call (`Class/method`, with
 * `rpc.system.name` and `rpc.method`), in the trace of a caller whose env went through
 * `otel()`/`instrumentEnv` (docs/rpc.md), and one by the HTTP conventions for its `fetch`. Each call
 * is its own invocation, exported in `this.ctx.waitUntil`; `this.env`'s bindings are traced as in
 * `otel()`. Methods, arguments, results, errors and `this` are the class's own.
 *
 * @example
 * class Catalog extends WorkerEntrypoint { async stock(sku: string) { … } }
 * export const CatalogApi = instrumentEntrypoint(Catalog, { serviceName: 'inventory' })
 */
export function instrumentEntrypoint<C extends InstrumentableEntrypoint>(Base: C, options: HandlerOptions = {}): C {
  prepareHandler(options)
  return serveClass(Base, 'WorkerEntrypoint', HANDLERS, options).Traced
}
