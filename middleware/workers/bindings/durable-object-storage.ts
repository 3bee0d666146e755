import { ATTR_DB_QUERY_TEXT } from '@opentelemetry/semantic-conventions'
import { type BindingKind, instrumentBinding } from './client.ts'
import { sanitizeSql } from './d1.ts'

/** `db.system.name` of a Durable Object's own storage. */
export const DURABLE_OBJECT_STORAGE_SYSTEM = 'cloudflare.durable_object_storage'

/** Span names as Cloudflare's Workers tracing gives them: `durable_object_storage_get`, … */
const PREFIX = 'durable_object_storage'

/** `ctx.storage.sql`: `durable_object_storage_exec`, with the query text (`?` placeholders kept, literals as `?`). */
const SQL: BindingKind = {
  system: DURABLE_OBJECT_STORAGE_SYSTEM,
  prefix: PREFIX,
  operations: { exec: { request: ([query], attributes) => void (attributes[ATTR_DB_QUERY_TEXT] = sanitizeSql(query)) } },
}

/**
 * A Durable Object's `ctx.storage`, with `db.namespace` the object's class: get, put, delete, list and
 * deleteAll, and `sql.exec`. Keys, values and SQL parameter values are never recorded.
 */
export const DURABLE_OBJECT_STORAGE: BindingKind = {
  system: DURABLE_OBJECT_STORAGE_SYSTEM,
  prefix: PREFIX,
  operations: {
    get: {},
    put: {},
    delete: {},
    list: {},
    deleteAll: {},
    sql: { untraced: true, wrap: (sql, base) => instrumentBinding(sql, SQL, base) },
  },
}
