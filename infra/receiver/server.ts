import { createServer, type IncomingMessage, type Server } from 'node:http'
import { gunzipSync } from 'node:zlib'
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

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

export async function startReceiver(options: ReceiverOptions = {}): Promise<Receiver> {
  const spans: ReceivedSpan[] = []
  const metrics: ReceivedMetric[] = []
  const logs: ReceivedLog[] = []
  const requests: ReceivedRequest[] = []
  const errors: string[] = []
  let lastArrival = Date.now()

  const server: Server = createServer(async (req, res) => {
    const signal = SIGNALS[(req.url ?? '').split('?')[0]]
    if (req.method !== 'POST' || !signal) {
      res.writeHead(404).end()
      return
    }
    lastArrival = Date.now()
    try {
      let body = await readBody(req)
      const wireBytes = body.length
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body)
      const contentType = String(req.headers['content-type'] ?? '')
      const record: ReceivedRequest = { signal, contentType, wireBytes, bytes: body.length, headers: req.headers }
      const decided = (await options.respond?.(record)) ?? 200
      const answer: ReceiverAnswer = typeof decided === 'number' ? { status: decided } : decided
      if (answer.status !== 200) {
        res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end(answer.body ?? '{}')
        return
      }
      const decoded = decodeRequest(signal, contentType, body, options.strictJson ?? true)
      requests.push(record)
      if (signal === 'traces') {
        const got = spansOf(decoded)
        spans.push(...got)
        options.onSpans?.(got)
      } else if (signal === 'metrics') {
        const got = metricsOf(decoded)
        metrics.push(...got)
        options.onMetrics?.(got)
      } else {
        logs.push(...logsOf(decoded))
      }
      const json = contentType.startsWith('application/json')
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf', ...answer.headers }).end(answer.body ?? (json ? '{}' : ''))
    } catch (error) {
      errors.push(String(error))
      res.writeHead(400, { 'content-type': 'text/plain' }).end(String(error))
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
