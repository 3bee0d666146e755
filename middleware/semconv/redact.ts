/** Query parameters whose values are replaced by `REDACTED` (case-insensitive), plus any configured. */
export const DEFAULT_SENSITIVE_QUERY_KEYS = ['token', 'key', 'secret', 'password', 'sig', 'signature', 'access_token']

export const REDACTED = 'REDACTED'

/**
 * Replaces the values of sensitive parameters in a raw query string (without `?`), keeping
 * everything else byte for byte.
 */
export function redactQuery(query: string, sensitive: ReadonlySet<string>): string {
  if (!query) return query
  return query
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=')
      if (eq === -1) return pair
      let name = pair.slice(0, eq)
      try {
        name = decodeURIComponent(name.replace(/\+/g, ' '))
      } catch {
        // A malformed escape: compare the raw name.
      }
      return sensitive.has(name.toLowerCase()) ? `${pair.slice(0, eq)}=${REDACTED}` : pair
    })
    .join('&')
}

/** A URL for `url.full`: credentials become `REDACTED:REDACTED`, sensitive query values `REDACTED`. */
export function redactUrl(href: string, sensitive: ReadonlySet<string>): string {
  let url: URL
  try {
    url = new URL(href)
  } catch {
    return href
  }
  if (url.username || url.password) {
    url.username = REDACTED
    url.password = REDACTED
  }
  if (url.search) url.search = redactQuery(url.search.slice(1), sensitive)
  return url.href
}

export function sensitiveKeys(extra: readonly string[] = []): ReadonlySet<string> {
  return new Set([...DEFAULT_SENSITIVE_QUERY_KEYS, ...extra.map((k) => k.toLowerCase())])
}
