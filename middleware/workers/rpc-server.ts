import { type Context, context, defaultTextMapGetter, trace } from '@opentelemetry/api'
import { KIND_SERVER } from '../sdk/api-values.ts'
import { REQUEST_ROOT } from '../sdk/context.ts'
import { telemetry } from '../runtime/telemetry.ts'
import { instrumentEnv } from './bindings/env.ts'
import { traceFetchHandler } from './fetch-handler.ts'
import { type HandlerOptions, traceInvocation } from './invocation.ts'
import { RPC_CALL, rpcAttributes } from './rpc-client.ts'

/** A class whose instances serve Workers RPC: a Durable Object or a `WorkerEntrypoint`. */
// biome-ignore lint: any constructor
export type RpcClass = abstract new (...args: any[]) => object

/** What an instrumented instance keeps of its constructor's arguments. */
export interface Served {
  env: unknown
  waitUntil(promise: Promise<unknown>): void
}

/**
 * The methods a caller can reach by RPC: functions on the prototype chain below `Object.prototype`
 * (getters and instance properties are not methods), except the constructor and the handlers the
 * runtime calls itself.
 */
function rpcMethods(prototype: object, handlers: ReadonlySet<string>): Map<string, (...args: unknown[]) => unknown> {
  const methods = new Map<string, (...args: unknown[]) => unknown>()
  for (let p = prototype; p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    for (const name of Object.getOwnPropertyNames(p)) {
      const value = Object.getOwnPropertyDescriptor(p, name)?.value
      if (typeof value === 'function' && name !== 'constructor' && !handlers.has(name) && !methods.has(name)) methods.set(name, value)
    }
  }
  return methods
}

/**
 * Gives `Traced` (a subclass of the user's class) a SERVER span per RPC method call, in the one
 * invocation lifecycle, exported in the instance's `waitUntil`:
 * - a traced caller calls `RPC_CALL(carrier, method, args)`, which continues the caller's trace and
 *   calls the method with exactly `args`, on the same instance;
 * - an untraced caller calls the method itself: each method is wrapped so that a call from outside
 *   any invocation starts a trace of its own. A call from the instance's own code (inside fetch or
 *   another method) runs as written.
 * `served(this)` gives the env and `waitUntil` the instance was made with.
 */
export function traceRpcMethods(
  Traced: RpcClass,
  service: string,
  handlers: ReadonlySet<string>,
  options: HandlerOptions,
  served: (self: object) => Served,
): void {
  const methods = rpcMethods(Object.getPrototypeOf(Traced.prototype), handlers)
  const serve = (self: object, method: string, args: unknown[], parent: Context) => {
    const { env, waitUntil } = served(self)
    return traceInvocation(
      env,
      options,
      { trigger: 'other', name: `${service}/${method}`, kind: KIND_SERVER, attributes: rpcAttributes(service, method), parent },
      waitUntil,
      () => methods.get(method)!.apply(self, args),
    )
  }
  const prototype = Traced.prototype as Record<string, unknown>
  for (const name of methods.keys()) {
    prototype[name] = {
      [name](this: object, ...args: unknown[]) {
        return trace.getSpan(context.active()) ? methods.get(name)!.apply(this, args) : serve(this, name, args, REQUEST_ROOT)
      },
    }[name]
  }
  prototype[RPC_CALL] = function (this: object, carrier: unknown, method: unknown, args: unknown) {
    if (typeof method !== 'string' || !methods.has(method) || !Array.isArray(args)) {
      // What workerd answers for a method the class does not have.
      throw new TypeError(`The RPC receiver does not implement the method "${String(method)}".`)
    }
    const headers = typeof carrier === 'object' && carrier !== null ? (carrier as Record<string, string>) : {}
    return serve(this, method, args, telemetry.propagator.extract(REQUEST_ROOT, headers, defaultTextMapGetter))
  }
}

/** The parts of a Durable Object's or entrypoint's `ctx` the instrumentation uses. */
export interface ServedContext {
  storage?: object
  waitUntil(promise: Promise<unknown>): void
}

/** What `serveClass` makes: the traced subclass, its name, and what each instance was made with. */
export interface ServedClass<C> {
  Traced: C
  name: string
  served: (self: object) => Served
}

/**
 * The subclass that `instrumentDurableObject` and `instrumentEntrypoint` start from: each instance
 * gets its env's bindings traced and keeps its env and `ctx.waitUntil`; `fetch` gets a SERVER span by
 * the HTTP conventions and each method but `handlers` one per RPC call, each its own invocation.
 * `adopt` runs after the user's constructor (a Durable Object traces its storage there).
 */
// biome-ignore lint: the user's constructor arguments
export function serveClass<C extends new (...args: any[]) => object>(
  Base: C,
  fallbackName: string,
  handlers: ReadonlySet<string>,
  options: HandlerOptions,
  adopt?: (self: object, ctx: ServedContext) => void,
): ServedClass<C> {
  const name = Base.name || fallbackName
  const instances = new WeakMap<object, Served>()
  const served = (self: object) => instances.get(self)!
  const Traced = class extends Base {
    // biome-ignore lint: the user's constructor arguments
    constructor(...args: any[]) {
      const [ctx, env] = args as [ServedContext, unknown]
      super(ctx, instrumentEnv(env as object))
      instances.set(this, { env, waitUntil: (p) => ctx.waitUntil(p) })
      adopt?.(this, ctx)
    }
  }
  Object.defineProperty(Traced, 'name', { value: name })
  const fetch = (Base.prototype as { fetch?: (request: Request) => Promise<Response> }).fetch
  if (fetch) {
    ;(Traced.prototype as { fetch?: unknown }).fetch = function fetchHandler(this: object, request: Request) {
      const { env, waitUntil } = served(this)
      return traceFetchHandler(request, env, options, waitUntil, () => fetch.call(this, request))
    }
  }
  traceRpcMethods(Traced, name, handlers, options, served)
  return { Traced, name, served }
}
