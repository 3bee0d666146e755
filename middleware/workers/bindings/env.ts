import { instrumentFetch } from '../fetch.ts'
import { rpcBinding } from '../rpc-client.ts'
import { AI } from './ai.ts'
import { ANALYTICS_ENGINE } from './analytics-engine.ts'
import { instrumentCaches } from './cache.ts'
import { type BindingKind, bindingBase, instrumentBinding } from './client.ts'
import { D1 } from './d1.ts'
import { KV } from './kv.ts'
import { R2 } from './r2.ts'
import { VECTORIZE } from './vectorize.ts'

type Binding = Record<PropertyKey, unknown>

/** Recognises one kind of binding: returns it traced, or undefined when it is not of that kind. */
export type BindingInstrumenter = (binding: Binding, name: string) => object | undefined

/**
 * A service binding (its `fetch` traced like global `fetch`, its RPC methods as RPC CLIENT spans) or a
 * Durable Object namespace (the same for its stubs): `rpc-client.ts`.
 */
export const serviceBinding: BindingInstrumenter = (binding, name) => {
  const traced = rpcBinding(binding, name, (f) => instrumentFetch(f, true))
  return traced === binding ? undefined : traced
}

/**
 * A binding whose methods are all there is of `kind`. Recognised by its methods, not by class names,
 * which workerd may change. An RPC stub (a service binding) answers any method name, so one that
 * answers a name no binding has is never taken for a KV namespace or a D1 database.
 */
const byMethods =
  (kind: BindingKind, ...methods: string[]): BindingInstrumenter =>
  (binding, name) =>
    typeof binding.__edgeOtelProbe !== 'function' && methods.every((m) => typeof binding[m] === 'function')
      ? instrumentBinding(binding, kind, bindingBase(name))
      : undefined

/**
 * How `instrumentEnv` traces each binding: the first instrumenter that recognises it. A new kind
 * is one more entry; service bindings and Durable Object namespaces come last, since Workers AI
 * has a `fetch` of its own.
 */
export const BINDING_INSTRUMENTERS: BindingInstrumenter[] = [
  byMethods(KV, 'getWithMetadata', 'list'),
  byMethods(D1, 'prepare', 'batch'),
  byMethods(R2, 'head', 'createMultipartUpload'),
  byMethods(VECTORIZE, 'query', 'getByIds'),
  byMethods(AI, 'run'),
  byMethods(ANALYTICS_ENGINE, 'writeDataPoint'),
  serviceBinding,
]

const instrumentedEnvs = new WeakMap<object, object>()

function instrumentOne(binding: unknown, name: string): unknown {
  if (typeof binding !== 'object' || binding === null) return binding
  for (const instrument of BINDING_INSTRUMENTERS) {
    const traced = instrument(binding as Binding, name)
    if (traced) return traced
  }
  return binding
}

/**
 * Returns `env` with its bindings traced: service bindings' `fetch`, KV, D1, R2, Vectorize,
 * Workers AI (CLIENT spans and `db.client.operation.duration`) and Analytics Engine (span events).
 * The first call also traces the Cache API (`caches`). Calls outside a traced request pass through
 * untouched. Other values are returned as they are; the result is cached per env object.
 *
 * @example
 * export default { fetch: (req, env, ctx) => app.fetch(req, instrumentEnv(env), ctx) }
 */
export function instrumentEnv<E extends object>(env: E): E {
  if (typeof env !== 'object' || env === null) return env
  const cached = instrumentedEnvs.get(env)
  if (cached) return cached as E
  instrumentCaches()
  const bindings = new Map<PropertyKey, unknown>()
  const proxy = new Proxy(env, {
    get(target, key) {
      const value = Reflect.get(target, key)
      if (typeof value !== 'object' || value === null || typeof key !== 'string') return value
      if (!bindings.has(key)) bindings.set(key, instrumentOne(value, key))
      return bindings.get(key)
    },
  })
  instrumentedEnvs.set(env, proxy)
  return proxy
}
