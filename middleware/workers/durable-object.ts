import type { Attributes } from '@opentelemetry/api'
import { ATTR_DB_NAMESPACE } from '@opentelemetry/semantic-conventions'
import { KIND_SERVER } from '../sdk/api-values.ts'
import { REQUEST_ROOT } from '../sdk/context.ts'
import { instrumentBinding } from './bindings/client.ts'
import { DURABLE_OBJECT_STORAGE } from './bindings/durable-object-storage.ts'
import { ownMember } from './own-member.ts'
import { type HandlerOptions, type Trigger, prepareHandler, traceInvocation } from './invocation.ts'
import { serveClass } from './rpc-server.ts'

/** The handlers workerd calls on a Durable Object itself; every other method is an RPC method. */
const HANDLERS = new Set(['fetch', 'alarm', 'webSocketMessage', 'webSocketClose', 'webSocketError'])

// biome-ignore lint: the user's constructor arguments
/** A class `instrumentDurableObject` can wrap: a Durable Object class. */
export type InstrumentableDurableObject = new (...args: any[]) => object

/**
 * A Durable Object class traced in every handler, each its own invocation exported in the
 * object's `ctx.waitUntil`:
 * - `fetch`: a SERVER span by the HTTP conventions, continuing the caller's `traceparent`;
 * - each RPC method: a SERVER span `Class/method` (`rpc.system.name`, `rpc.method`), in the trace of a
 *   caller whose env went through `otel()`/`instrumentEnv` (see docs/rpc.md);
 * - `alarm`: `faas.trigger=timer`; `webSocketMessage`/`webSocketClose`/`webSocketError` (hibernation):
 *   `faas.trigger=other`;
 * - `this.ctx.storage` (get, put, delete, list, deleteAll, `sql.exec`): CLIENT spans and
 *   `db.client.operation.duration`, as the bindings' (bindings/durable-object-storage.ts); `this.env`'s bindings
 *   are traced as in `otel()`.
 * Methods, arguments, results, errors and `this` are the class's own.
 *
 * @example
 * class Stock extends DurableObject { async reserve(quantity: number) { … } }
 * export const StockReservation = instrumentDurableObject(Stock, { serviceName: 'inventory' })
 */
export function instrumentDurableObject<C extends InstrumentableDurableObject>(Base: C, options: HandlerOptions = {}): C {
  prepareHandler(options)
  const { Traced, name, served } = serveClass(Base, 'DurableObject', HANDLERS, options, (self, ctx) => {
    if (!ctx.storage || (self as { ctx?: unknown }).ctx !== ctx) return
    const storage = instrumentBinding(ctx.storage, DURABLE_OBJECT_STORAGE, { [ATTR_DB_NAMESPACE]: name })
    const traced = new Proxy(ctx, { get: (t, k) => (k === 'storage' ? storage : ownMember(t, k)) })
    Object.defineProperty(self, 'ctx', { value: traced, writable: true, configurable: true, enumerable: true })
  })
  const prototype = Traced.prototype as Record<string, unknown>
  const base = Base.prototype as Record<string, ((...args: unknown[]) => unknown) | undefined>
  const run = (self: object, trigger: Trigger, handler: string, attributes: Attributes, body: () => unknown) => {
    const { env, waitUntil } = served(self)
    return traceInvocation(env, options, { trigger, name: `${handler} ${name}`, kind: KIND_SERVER, attributes, parent: REQUEST_ROOT }, waitUntil, body)
  }
  if (base.alarm) {
    prototype.alarm = function alarm(this: object, ...args: unknown[]) {
      return run(this, 'timer', 'alarm', {}, () => base.alarm!.apply(this, args))
    }
  }
  for (const handler of ['webSocketMessage', 'webSocketClose', 'webSocketError'] as const) {
    const original = base[handler]
    if (!original) continue
    prototype[handler] = {
      [handler](this: object, ...args: unknown[]) {
        return run(this, 'other', handler, {}, () => original.apply(this, args))
      },
    }[handler]
  }
  return Traced
}

