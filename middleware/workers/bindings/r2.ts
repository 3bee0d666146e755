import type { Attributes } from '@opentelemetry/api'
import { ATTR_DB_RESPONSE_RETURNED_ROWS } from '@opentelemetry/semantic-conventions/incubating'
import { type BindingKind, type Operation, instrumentBinding } from './client.ts'

// Cloudflare's attribute names for R2 (Workers tracing, "Spans and attributes").
const KEY = 'cloudflare.r2.request.key'
const SIZE = 'cloudflare.r2.response.size'

/** R2's name for a failed `onlyIf` condition (S3's `PreconditionFailed`, HTTP 412). */
export const PRECONDITION_FAILED = 'PreconditionFailed'

const keyed = (args: unknown[], attributes: Attributes, keys: boolean) => {
  if (keys) attributes[KEY] = String(args[0])
}
const sized = (object: { size?: number } | null, span: { setAttribute(k: string, v: number): unknown }) => {
  if (typeof object?.size === 'number') span.setAttribute(SIZE, object.size)
}
const upload = (multipart: object, base: Attributes) => instrumentBinding(multipart, R2_UPLOAD, base)

/** A multipart upload's parts: `r2_uploadPart`, `r2_completeMultipartUpload`, `r2_abortMultipartUpload`. */
const R2_UPLOAD: BindingKind = {
  system: 'cloudflare-r2',
  type: 'r2',
  prefix: 'r2',
  operations: {
    uploadPart: {},
    complete: { name: 'completeMultipartUpload', response: (object, span) => sized(object, span) },
    abort: { name: 'abortMultipartUpload' },
  },
}

const write: Operation = {
  request: keyed,
  // `put` with `onlyIf` answers null when the condition fails: nothing was written.
  response: (object, span, args) => (object === null && args[2]?.onlyIf ? PRECONDITION_FAILED : sized(object, span)),
}

/**
 * R2: `r2_head`, `r2_get`, `r2_put`, `r2_delete`, `r2_list`, `r2_createMultipartUpload` and the
 * upload's parts. Object bodies are handed back untouched (they stream as before) and never recorded.
 */
export const R2: BindingKind = {
  system: 'cloudflare-r2',
  type: 'r2',
  prefix: 'r2',
  operations: {
    head: { request: keyed, response: sized },
    // `get` with `onlyIf` answers the object without a body when the condition fails.
    get: { request: keyed, response: (object, span, args) => (object && !('body' in object) && args[1]?.onlyIf ? PRECONDITION_FAILED : sized(object, span)) },
    put: write,
    delete: {
      request: ([keys], attributes, recordKeys) => {
        if (recordKeys) attributes['cloudflare.r2.request.keys'] = [keys].flat().join(', ')
      },
    },
    list: {
      request: ([options], attributes, keys) => {
        if (keys && options?.prefix) attributes['cloudflare.r2.request.prefix'] = options.prefix
      },
      response: (listed, span) => void span.setAttribute(ATTR_DB_RESPONSE_RETURNED_ROWS, listed.objects.length),
    },
    createMultipartUpload: { request: keyed, wrap: upload },
    resumeMultipartUpload: { untraced: true, wrap: upload },
  },
}
