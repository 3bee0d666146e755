// The viewer's pages and their JSON, served on the receiver's port beside /v1/traces, /v1/metrics
// and /v1/logs. The pages build every element with DOM calls from this JSON; the Content-Security-Policy
// lets only the viewer's own scripts run, so a received value can neither add markup nor run code.
import type { IncomingMessage, ServerResponse } from 'node:http'
import { pageFiles } from './assets.ts'
import type { EventStream } from './events.ts'
import type { RequestMetrics } from './metrics.ts'
import type { TraceStore } from './traces.ts'

export interface ViewerState {
  traces: TraceStore
  metrics: RequestMetrics
  events: EventStream
}

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  js: 'text/javascript; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
}

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
}

const PAGES = /^\/(?:traces\/[0-9a-f]{32}|metrics)?$/
const ASSET = /^\/assets\/([\w-]+\.(\w+))$/
const TRACE_API = /^\/api\/traces\/([0-9a-f]{32})$/

/**
 * Whether the Host header names this machine by an address or as localhost. A web page on another
 * domain that resolves to 127.0.0.1 (DNS rebinding) sends its own name, and is refused.
 */
function localHost(host: string | undefined): boolean {
  if (!host) return false
  const name = host.replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1').toLowerCase()
  return name === 'localhost' || name.endsWith('.localhost') || /^[\d.]+$/.test(name) || name.includes(':')
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer, head: boolean): void {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...SECURITY_HEADERS })
  res.end(head ? undefined : body)
}

const json = (res: ServerResponse, status: number, value: unknown, head: boolean) =>
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(value), head)

/** Answers the viewer's GETs; false for anything else (the receiver then answers 404). */
export function viewerRoutes(state: ViewerState): (req: IncomingMessage, res: ServerResponse) => boolean {
  return function serveViewer(req, res) {
    if (req.method !== 'GET' && req.method !== 'HEAD') return false
    const head = req.method === 'HEAD'
    const path = (req.url ?? '/').split('?')[0]
    if (!localHost(req.headers.host)) {
      send(res, 403, 'text/plain; charset=utf-8', 'The viewer answers only requests to localhost or an IP address.', head)
      return true
    }
    if (PAGES.test(path)) {
      send(res, 200, TYPES.html, pageFiles().get('index.html')!, head)
      return true
    }
    const asset = ASSET.exec(path)
    if (asset) {
      const file = pageFiles().get(asset[1])
      if (!file || !TYPES[asset[2]] || asset[1] === 'index.html') return false
      send(res, 200, TYPES[asset[2]], file, head)
      return true
    }
    if (path === '/api/traces') {
      json(res, 200, { traces: state.traces.list(), services: state.traces.services(), maxTraces: state.traces.options.maxTraces }, head)
      return true
    }
    const traceId = TRACE_API.exec(path)?.[1]
    if (traceId) {
      const detail = state.traces.detail(traceId)
      if (detail) json(res, 200, { ...detail, services: state.traces.services() }, head)
      else json(res, 404, { error: `trace ${traceId} is not here: not received, or dropped to keep the last ${state.traces.options.maxTraces}` }, head)
      return true
    }
    if (path === '/api/metrics') {
      json(res, 200, state.metrics.snapshot(), head)
      return true
    }
    if (path === '/api/events' && !head) {
      state.events.open(req, res)
      return true
    }
    return false
  }
}
