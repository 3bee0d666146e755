import type { Attributes } from '@opentelemetry/api'
import { ATTR_DB_RESPONSE_RETURNED_ROWS } from '@opentelemetry/semantic-conventions/incubating'
import type { BindingKind, Operation } from './client.ts'

// Cloudflare's attribute names for KV (Workers tracing, "Spans and attributes").
const KEYS = 'cloudflare.kv.query.keys'
const KEYS_COUNT = 'cloudflare.kv.query.keys.count'
const TYPE = 'cloudflare.kv.query.type'

/** The key (or keys, joined as Cloudflare does) on opt-in; their count and the value type always. */
function keyed(args: unknown[], attributes: Attributes, keys: boolean): void {
  const key = args[0]
  const list = Array.isArray(key) ? key : [key]
  if (keys) attributes[KEYS] = list.join(', ')
  attributes[KEYS_COUNT] = list.length
  const options = args[1] as string | { type?: string } | undefined
  const type = typeof options === 'string' ? options : options?.type
  if (type) attributes[TYPE] = type
}

/** A read: `db.response.returned_rows` counts the keys found (a bulk read answers a Map). */
const read = (withMetadata: boolean): Operation => ({
  request: keyed,
  parses: true,
  response: (result, span) =>
    void span.setAttribute(
      ATTR_DB_RESPONSE_RETURNED_ROWS,
      (result instanceof Map ? [...result.values()] : [result]).filter((v) => (withMetadata ? v?.value : v) != null).length,
    ),
})
const write: Operation = { request: (args, attributes, keys) => keyed([args[0]], attributes, keys) }

/** Workers KV: `kv_get`, `kv_getWithMetadata`, `kv_put`, `kv_delete`, `kv_list`. Values are never recorded. */
export const KV: BindingKind = {
  system: 'cloudflare-kv',
  type: 'KV',
  prefix: 'kv',
  operations: {
    get: read(false),
    getWithMetadata: read(true),
    put: write,
    delete: write,
    list: {
      request: (args, attributes, keys) => {
        const options = args[0] as { prefix?: string } | undefined
        if (keys && options?.prefix) attributes['cloudflare.kv.query.prefix'] = options.prefix
      },
      response: (result, span) => void span.setAttribute(ATTR_DB_RESPONSE_RETURNED_ROWS, result.keys.length),
    },
  },
}
