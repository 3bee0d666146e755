import { type Attributes, context, trace } from '@opentelemetry/api'
import { ATTR_DB_NAMESPACE, ATTR_DB_OPERATION_NAME, ATTR_DB_QUERY_TEXT, ATTR_DB_SYSTEM_NAME } from '@opentelemetry/semantic-conventions'
import { KIND_CLIENT } from '../sdk/api-values.ts'
import { telemetry } from '../runtime/telemetry.ts'
import { recordFailure } from '../sdk/trace/tracer.ts'
import { ownMember } from './own-member.ts'

/** `db.system.name` of a Durable Object's own storage. */
export const DURABLE_OBJECT_STORAGE = 'cloudflare.durable_object_storage'

/** The storage operations traced, by the names Cloudflare's Workers tracing gives their spans. */
const OPERATIONS = new Set(['get', 'put', 'delete', 'list', 'deleteAll'])

type Method = (...args: unknown[]) => unknown


/**
 * Calls `call` inside a CLIENT span named as Cloudflare names it (`durable_object_storage_get`),
 * with `db.system.name`, `db.operation.name` and `db.namespace` (the object's class), when a traced
 * invocation is active. `call` runs at once, before anything is awaited, so storage keeps its write
 * coalescing and ordering; the caller gets its result or error as the storage gave it.
 */
function traced(operation: string, namespace: string, call: () => unknown, extra?: Attributes): unknown {
  const active = context.active()
  if (!trace.getSpan(active)) return call()
  const attributes: Attributes = { [ATTR_DB_SYSTEM_NAME]: DURABLE_OBJECT_STORAGE, [ATTR_DB_OPERATION_NAME]: operation, [ATTR_DB_NAMESPACE]: namespace, ...extra }
  const span = telemetry.own.tracer.startSpan(`durable_object_storage_${operation}`, { kind: KIND_CLIENT, attributes }, active)
  let result: unknown
  try {
    result = call()
  } catch (error) {
    recordFailure(span, error)
    span.end()
    throw error
  }
  if (result instanceof Promise) {
    result.then(
      () => span.end(),
      (error) => {
        recordFailure(span, error)
        span.end()
      },
    )
  } else {
    span.end()
  }
  return result
}

/**
 * A Durable Object's `ctx.storage` whose key-value operations (get, put, delete, list, deleteAll)
 * and `sql.exec` are CLIENT spans. Keys, values and SQL bindings are never recorded; `sql.exec`
 * records its query text, with its `?` placeholders.
 */
export function traceStorage<S extends object>(storage: S, namespace: string): S {
  let sql: object | undefined
  return new Proxy(storage, {
    get(target, key) {
      const value = ownMember(target, key)
      if (key === 'sql' && value) {
        return (sql ??= new Proxy(value as object, {
          get(sqlTarget, sqlKey) {
            const member = ownMember(sqlTarget, sqlKey) as Method
            if (sqlKey !== 'exec') return member
            return (query: string, ...bindings: unknown[]) =>
              traced('exec', namespace, () => member(query, ...bindings), { [ATTR_DB_QUERY_TEXT]: String(query) })
          },
        }))
      }
      if (typeof key !== 'string' || !OPERATIONS.has(key) || typeof value !== 'function') return value
      return (...args: unknown[]) => traced(key, namespace, () => (value as Method)(...args))
    },
  })
}
