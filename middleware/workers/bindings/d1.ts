import type { Attributes, Span } from '@opentelemetry/api'
import { ATTR_DB_OPERATION_BATCH_SIZE, ATTR_DB_QUERY_TEXT } from '@opentelemetry/semantic-conventions'
import { ATTR_DB_RESPONSE_RETURNED_ROWS } from '@opentelemetry/semantic-conventions/incubating'
import { type BindingKind, type Operation, instrumentBinding } from './client.ts'

/** String and number literals in SQL; `?`, `?1`, `:name` placeholders and identifiers like `t1` are kept. */
const LITERALS = /'(?:[^']|'')*'|(?<![\w?:@$.])\d+(?:\.\d+)?(?:e[+-]?\d+)?/gi

/** The query text as semconv wants it by default: placeholders kept, literal values replaced by `?`. */
export const sanitizeSql = (sql: unknown): string => String(sql).replace(LITERALS, '?')

const queries = new WeakMap<object, string>()

interface D1Meta {
  rows_read?: number
  rows_written?: number
}

/** Cloudflare's `cloudflare.d1.response.*` counts, and the rows returned. */
function responseOf(span: Span, rows: number, meta: D1Meta | undefined): void {
  span.setAttribute(ATTR_DB_RESPONSE_RETURNED_ROWS, rows)
  if (meta?.rows_read !== undefined) span.setAttribute('cloudflare.d1.response.rows_read', meta.rows_read)
  if (meta?.rows_written !== undefined) span.setAttribute('cloudflare.d1.response.rows_written', meta.rows_written)
}

/** A traced statement, whose query text `batch` finds again. */
function statement(prepared: object, base: Attributes): object {
  const proxy = instrumentBinding(prepared, D1_STATEMENT, base)
  queries.set(proxy, base[ATTR_DB_QUERY_TEXT] as string)
  return proxy
}
const results: Operation = { response: (result, span) => responseOf(span, result?.results?.length ?? 0, result?.meta) }

/** A prepared statement: `d1_first`, `d1_all`, `d1_run`, `d1_raw`, each with the statement's query text. */
const D1_STATEMENT: BindingKind = {
  system: 'cloudflare-d1',
  type: 'D1',
  prefix: 'd1',
  operations: {
    bind: { untraced: true, wrap: statement },
    first: { response: (row, span) => responseOf(span, row === null ? 0 : 1, undefined) },
    all: results,
    run: results,
    raw: { response: (rows, span, args) => responseOf(span, rows.length - (args[0]?.columnNames ? 1 : 0), undefined) },
  },
}

/**
 * D1, and its sessions (`withSession`): `prepare` gives traced statements; `d1_batch` and `d1_exec`.
 * Query text keeps its `?` placeholders; bound values are never recorded, literals become `?`.
 */
export const D1: BindingKind = {
  system: 'cloudflare-d1',
  type: 'D1',
  prefix: 'd1',
  operations: {
    prepare: {
      untraced: true,
      wrap: (prepared, base, [sql]) => statement(prepared, { ...base, [ATTR_DB_QUERY_TEXT]: sanitizeSql(sql) }),
    },
    batch: {
      request: ([statements], attributes) => {
        attributes[ATTR_DB_QUERY_TEXT] = statements.map((s: object) => queries.get(s) ?? '').join('\n')
        attributes[ATTR_DB_OPERATION_BATCH_SIZE] = statements.length
      },
      response: (all, span) => responseOf(span, all.reduce((n: number, r: { results?: unknown[] }) => n + (r.results?.length ?? 0), 0), undefined),
    },
    exec: { request: ([sql], attributes) => void (attributes[ATTR_DB_QUERY_TEXT] = sanitizeSql(sql)) },
    withSession: { untraced: true, wrap: (session, base) => instrumentBinding(session, D1, base) },
  },
}
