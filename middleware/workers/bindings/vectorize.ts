import { ATTR_DB_RESPONSE_RETURNED_ROWS } from '@opentelemetry/semantic-conventions/incubating'
import type { BindingKind, Operation } from './client.ts'

const query: Operation = {
  response: (result, span) => void span.setAttribute(ATTR_DB_RESPONSE_RETURNED_ROWS, result.matches.length),
}

/** Vectorize: `vectorize_query`, `vectorize_insert`, `vectorize_upsert`, `vectorize_getByIds`, `vectorize_deleteByIds`. Vectors and ids are never recorded. */
export const VECTORIZE: BindingKind = {
  system: 'cloudflare-vectorize',
  type: 'VECTORIZE',
  prefix: 'vectorize',
  operations: {
    query,
    queryById: query,
    insert: {},
    upsert: {},
    getByIds: { response: (vectors, span) => void span.setAttribute(ATTR_DB_RESPONSE_RETURNED_ROWS, vectors.length) },
    deleteByIds: {},
  },
}
