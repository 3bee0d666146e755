import type { Attributes } from '@opentelemetry/api'
import { ATTR_DB_NAMESPACE } from '@opentelemetry/semantic-conventions'
import { telemetry } from '../../runtime/telemetry.ts'
import { redactUrl } from '../../semconv/redact.ts'
import { ownMember } from '../own-member.ts'
import { type BindingKind, instrumentBinding } from './client.ts'

/** The URL a cache call names (Cloudflare's `cache.request.url`), on opt-in and with sensitive query values redacted. */
function url(args: unknown[], attributes: Attributes, keys: boolean): void {
  const request = args[0] as Request | string | URL
  if (keys) attributes['cache.request.url'] = redactUrl(typeof request === 'object' && 'url' in request ? request.url : String(request), telemetry.sensitiveQueryKeys)
}

/** The Cache API (`caches.default`, `caches.open(name)`): `cache_match`, `cache_put`, `cache_delete`, as Cloudflare names them. */
export const CACHE: BindingKind = {
  system: 'cloudflare-cache',
  type: 'cache',
  prefix: 'cache',
  operations: {
    match: { request: url, response: (response, span) => void span.setAttribute('cache.response.cache_status', response ? 'HIT' : 'MISS') },
    put: { request: url },
    delete: { request: url, response: (deleted, span) => void span.setAttribute('cache.response.success', deleted) },
  },
}

const traced = (cache: Cache, name: string) => instrumentBinding(cache, CACHE, { [ATTR_DB_NAMESPACE]: name })

let cachesPatched = false

/**
 * Replaces the global `caches` once per isolate (as global `fetch` is replaced) with one whose
 * `default` and `open(name)` caches are traced; `db.namespace` is the cache's name.
 */
export function instrumentCaches(): void {
  if (cachesPatched || typeof caches !== 'object' || !caches) return
  cachesPatched = true
  const storage = caches
  // Only workerd's CacheStorage has a `default` cache; Deno's and the browsers' have `open` alone.
  const workerdDefault = (storage as { default?: Cache }).default
  const defaultCache = workerdDefault && traced(workerdDefault, 'default')
  const open = (name: string) => storage.open(name).then((cache) => traced(cache, name))
  try {
    Object.defineProperty(globalThis, 'caches', {
      configurable: true,
      value: new Proxy(storage, { get: (target, key) => (key === 'default' ? defaultCache : key === 'open' ? open : ownMember(target, key)) }),
    })
  } catch {}
}
