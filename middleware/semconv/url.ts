/** The parts of an absolute URL that the HTTP semantic conventions record. */
export interface UrlParts {
  scheme: string
  host: string
  port: number | undefined
  path: string
  /** The query without `?`, or '' when there is none. */
  query: string
}

/** scheme :// [userinfo @] host [: port] path [? query] [# fragment] */
const URL_PARTS = /^([a-z][a-z\d+.-]*):\/\/(?:[^@/?#]*@)?(\[[^\]/?#]*\]|[^:/?#]*)(?::(\d*))?([^?#]*)(?:\?([^#]*))?/i

/**
 * Splits an absolute URL as `Request.url` gives it (already normalized by the runtime) without
 * building a `URL` object. Returns undefined for anything it does not recognize.
 */
export function splitUrl(url: string): UrlParts | undefined {
  const m = URL_PARTS.exec(url)
  if (!m) return undefined
  const host = m[2]
  return {
    scheme: m[1],
    host: host[0] === '[' ? host.slice(1, -1) : host,
    port: m[3] ? Number(m[3]) : undefined,
    path: m[4] || '/',
    query: m[5] ?? '',
  }
}
