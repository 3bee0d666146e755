// A real OTLP/HTTP receiver on loopback, in Node. Its Node modules are loaded when it starts, so that
// importing the test kit in workerd does not need them.
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import { type ReceivedLog, type ReceivedMetric, type ReceivedSpan, decodeRequest, logsOf, metricsOf, spansOf } from './decode.ts'

export interface ReceivedRequest {
  signal: string
  contentType: string
  /** Body size as sent, before any decompression. */
  wireBytes: number
  bytes: number
  headers: IncomingMessage['headers']
}

export interface ReceiverAnswer {
  status: number
  headers?: Record<string, string>
  body?: Uint8Array | string
}

export interface ReceiverOptions {
  host?: string
  /** 0 picks a free port. */
  port?: number
  /** Called with each decoded request, e.g. to print it. */
  onSpans?: (spans: ReceivedSpan[]) => void
  onMetrics?: (metrics: ReceivedMetric[]) => void
  /**
   * Decides the answer to a request (default 200), for failure tests: a status, or a status with
   * headers and a body. A non-200 answer does not count the request as received.
   */
  respond?: (request: ReceivedRequest) => number | ReceiverAnswer | Promise<number | ReceiverAnswer>
  /** Check OTLP/JSON field by field against the schema (default). Off, JSON is only parsed: for peers' exports. */
  strictJson?: boolean
  /** Called with each accepted export request as decoded (hex ids, 64-bit integers as strings), before flattening. */
  onExport?: (signal: string, decoded: Record<string, unknown>) => void
  /** Keep what arrives in `spans`, `metrics`, `logs`, `requests` and `errors` (default). Off, only the callbacks see it. */
  retain?: boolean
  /** The largest body taken, as sent and after gunzip; a larger one is answered 413. Default: no limit. */
  maxBodyBytes?: number
  /** Called each time a request is refused as malformed (400) or too large (413), with the reason. */
  onRefused?: (signal: string, status: 400 | 413, reason: string) => void
  /** Answers what is not an OTLP export (a page, say); resolves false to leave it to the 404. */
  serve?: (req: IncomingMessage, res: ServerResponse) => boolean | Promise<boolean>
}

/** A real OTLP/HTTP receiver on loopback that keeps what arrives, for tests and `npm run dev`. */
export interface Receiver {
  url: string
  spans: ReceivedSpan[]
  metrics: ReceivedMetric[]
  logs: ReceivedLog[]
  requests: ReceivedRequest[]
  errors: string[]
  /** Resolves once `predicate` holds, polling; rejects after `timeoutMs`. */
  waitFor(predicate: () => boolean, timeoutMs?: number, what?: string): Promise<void>
  /** Resolves once nothing has arrived for `quietMs`, so exports still in flight are not missed. */
  idle(quietMs?: number): Promise<void>
  clear(): void
  close(): Promise<void>
}

const SIGNALS: Record<string, string> = { '/v1/traces': 'traces', '/v1/metrics': 'metrics', '/v1/logs': 'logs' }

class TooLarge extends Error {
  override name = 'TooLarge'
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let size = 0
    req.on('data', (c: Buffer) => {
      size += c.length
      if (size > maxBytes) {
        req.removeAllListeners('data')
        req.resume()
        reject(new TooLarge(`body over ${maxBytes} bytes`))
      } else chunks.push(c)
    })
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

function gunzip(gunzipSync: typeof import('node:zlib').gunzipSync, body: Buffer, maxBytes: number): Buffer {
  try {
    return gunzipSync(body, Number.isFinite(maxBytes) ? { maxOutputLength: maxBytes } : {})
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') throw new TooLarge(`body over ${maxBytes} bytes after gunzip`)
    throw error
  }
}

/** Starts a receiver on 127.0.0.1 (or `options.host`) that decodes each export and keeps what it holds. */
export async function startReceiver(options: ReceiverOptions = {}): Promise<Receiver> {
  const [{ createServer }, { gunzipSync }] = await Promise.all([import('node:http'), import('node:zlib')])
  const spans: ReceivedSpan[] = []
  const metrics: ReceivedMetric[] = []
  const logs: ReceivedLog[] = []
  const requests: ReceivedRequest[] = []
  const errors: string[] = []
  let lastArrival = Date.now()

  const retain = options.retain ?? true
  const maxBodyBytes = options.maxBodyBytes ?? Number.POSITIVE_INFINITY

  const server: Server = createServer(async (req, res) => {
    const signal = SIGNALS[(req.url ?? '').split('?')[0]]
    if (req.method !== 'POST' || !signal) {
      const served = await Promise.resolve(options.serve?.(req, res)).catch((error) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' })
        res.end(String(error))
        return true
      })
      if (!served) res.writeHead(404).end()
      return
    }
    lastArrival = Date.now()
    try {
      let body = await readBody(req, maxBodyBytes)
      const wireBytes = body.length
      if (req.headers['content-encoding'] === 'gzip') body = gunzip(gunzipSync, body, maxBodyBytes)
      const contentType = String(req.headers['content-type'] ?? '')
      const record: ReceivedRequest = { signal, contentType, wireBytes, bytes: body.length, headers: req.headers }
      const decided = (await options.respond?.(record)) ?? 200
      const answer: ReceiverAnswer = typeof decided === 'number' ? { status: decided } : decided
      if (answer.status !== 200) {
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(answer.body ?? '{}')
        return
      }
      const decoded = decodeRequest(signal, contentType, body, options.strictJson ?? true)
      if (retain) requests.push(record)
      options.onExport?.(signal, decoded)
      if (signal === 'traces' && (retain || options.onSpans)) {
        const got = spansOf(decoded)
        if (retain) spans.push(...got)
        options.onSpans?.(got)
      } else if (signal === 'metrics' && (retain || options.onMetrics)) {
        const got = metricsOf(decoded)
        if (retain) metrics.push(...got)
        options.onMetrics?.(got)
      } else if (signal === 'logs' && retain) {
        logs.push(...logsOf(decoded))
      }
      const json = contentType.startsWith('application/json')
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf', ...answer.headers }).end(answer.body ?? (json ? '{}' : ''))
    } catch (error) {
      const status = error instanceof TooLarge ? 413 : 400
      if (retain) errors.push(String(error))
      options.onRefused?.(signal, status, String(error))
      res.writeHead(status, { 'content-type': 'text/plain', ...(status === 413 ? { connection: 'close' } : {}) }).end(String(error))
    }
  })
  server.keepAliveTimeout = 1000

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve())
  })
  const address = server.address()
  const port = typeof address === 'object' && address ? address.port : options.port
  const url = `http://${options.host ?? '127.0.0.1'}:${port}`

  return {
    url,
    spans,
    metrics,
    logs,
    requests,
    errors,
    async waitFor(predicate, timeoutMs = 10_000, what = 'condition') {
      const deadline = Date.now() + timeoutMs
      while (!predicate()) {
        if (errors.length) throw new Error(`receiver rejected a request: ${errors[0]}`)
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)
        await new Promise((r) => setTimeout(r, 25))
      }
    },
    async idle(quietMs = 400) {
      while (Date.now() - lastArrival < quietMs) await new Promise((r) => setTimeout(r, 50))
    },
    clear() {
      spans.length = 0
      metrics.length = 0
      logs.length = 0
      requests.length = 0
      errors.length = 0
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
