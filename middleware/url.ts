/** The parts of an absolute URL that the HTTP semantic conventions record. */
export interface UrlParts {
  scheme: string
  host: string
  port: number | undefined
  path: string
  /** The query without `?`, or '' when there is none. */
  query: string
}

/**
 * Splits an absolute URL as `Request.url` gives it (already normalized by the runtime)
 * without building a `URL` object. Returns undefined for anything it does not recognize.
 */
export function splitUrl(url: string): UrlParts | undefined {
  const colon = url.indexOf('://')
  if (colon <= 0) return undefined
  const hostStart = colon + 3
  let hostEnd = hostStart
  while (hostEnd < url.length) {
    const c = url.charCodeAt(hostEnd)
    if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */) break
    hostEnd++
  }
  let authority = url.slice(hostStart, hostEnd)
  const at = authority.lastIndexOf('@')
  if (at !== -1) authority = authority.slice(at + 1)
  let host = authority
  let port: number | undefined
  const portColon = authority.lastIndexOf(':')
  if (portColon !== -1 && portColon > authority.lastIndexOf(']')) {
    host = authority.slice(0, portColon)
    const digits = authority.slice(portColon + 1)
    if (digits) port = Number(digits)
  }
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1)
  let pathEnd = hostEnd
  while (pathEnd < url.length) {
    const c = url.charCodeAt(pathEnd)
    if (c === 63 || c === 35) break
    pathEnd++
  }
  let query = ''
  if (url.charCodeAt(pathEnd) === 63) {
    const hash = url.indexOf('#', pathEnd)
    query = url.slice(pathEnd + 1, hash === -1 ? url.length : hash)
  }
  return { scheme: url.slice(0, colon), host, port, path: url.slice(hostEnd, pathEnd) || '/', query }
}
