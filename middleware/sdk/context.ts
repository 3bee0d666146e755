import { AsyncLocalStorage as NodeAsyncLocalStorage } from 'node:async_hooks'
import { type Context, type ContextManager, ROOT_CONTEXT } from '@opentelemetry/api'

/** The runtime's own `AsyncLocalStorage` where it is a global (Vercel Edge), else `node:async_hooks`'. */
const AsyncLocalStorage: typeof NodeAsyncLocalStorage = (globalThis as { AsyncLocalStorage?: typeof NodeAsyncLocalStorage }).AsyncLocalStorage ?? NodeAsyncLocalStorage

/**
 * Keeps the active OpenTelemetry context per request across awaits with `AsyncLocalStorage`,
 * which workerd (`nodejs_compat` or `nodejs_als`), Deno, Bun and Node provide in `node:async_hooks`,
 * and Vercel Edge as a global.
 * Two concurrent requests in one isolate each see only their own context.
 */
export class AsyncLocalStorageContextManager implements ContextManager {
  readonly #storage = new AsyncLocalStorage<Context>()

  active(): Context {
    return this.#storage.getStore() ?? ROOT_CONTEXT
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    if (thisArg === undefined) return this.#storage.run(context, fn, ...args)
    return this.#storage.run(context, () => fn.apply(thisArg, args))
  }

  bind<T>(context: Context, target: T): T {
    if (typeof target !== 'function') return target
    const manager = this
    return function bound(this: unknown, ...args: unknown[]) {
      return manager.with(context, () => (target as (...a: unknown[]) => unknown).apply(this, args))
    } as T
  }

  enable(): this {
    return this
  }

  /** Does nothing: workerd throws on `AsyncLocalStorage.disable()`, and a request's context ends with it. */
  disable(): this {
    return this
  }
}

/**
 * A context that stores one value and points at its parent, so deriving a context costs one
 * small object instead of copying a Map (as the API's own implementation does per `setValue`).
 */
class LinkedContext implements Context {
  readonly #parent: LinkedContext | undefined
  readonly #key: symbol | undefined
  readonly #value: unknown
  readonly #deleted: boolean

  constructor(parent?: LinkedContext, key?: symbol, value?: unknown, deleted = false) {
    this.#parent = parent
    this.#key = key
    this.#value = value
    this.#deleted = deleted
  }

  getValue(key: symbol): unknown {
    for (let c: LinkedContext | undefined = this; c; c = c.#parent) {
      if (c.#key === key) return c.#deleted ? undefined : c.#value
    }
    return undefined
  }

  setValue(key: symbol, value: unknown): Context {
    return new LinkedContext(this, key, value)
  }

  deleteValue(key: symbol): Context {
    return new LinkedContext(this, key, undefined, true)
  }
}

/** The empty context each request starts from. */
export const REQUEST_ROOT: Context = new LinkedContext()

/**
 * The key the OpenTelemetry SDK sets to `true` around its exporters' own requests (`suppressTracing` of
 * `@opentelemetry/core`): a call made in such a context is not traced. The API makes one symbol per name.
 */
export const SUPPRESS_TRACING = Symbol.for('OpenTelemetry SDK Context Key SUPPRESS_TRACING')
