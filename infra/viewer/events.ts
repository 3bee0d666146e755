// Server-sent events to the open pages: a page subscribes once and is told of each trace that
// changed, each trace dropped, and new metrics, without polling or reloading.
import type { IncomingMessage, ServerResponse } from 'node:http'

/** A page that reads slower than this much pending output is disconnected (its EventSource reconnects). */
const MAX_PENDING_BYTES = 4 * 1024 * 1024
const HEARTBEAT_MS = 15_000

/** The open pages' event streams, and the sending of one event to all of them. */
export class EventStream {
  private readonly clients = new Set<ServerResponse>()
  private readonly heartbeat: ReturnType<typeof setInterval>

  constructor() {
    this.heartbeat = setInterval(() => this.write(': keep-alive\n\n'), HEARTBEAT_MS)
    this.heartbeat.unref?.()
  }

  get clientCount(): number {
    return this.clients.size
  }

  /** Answers a GET of the event stream and keeps the response open. */
  open(req: IncomingMessage, res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' })
    res.write('retry: 1000\n\n')
    this.clients.add(res)
    const forget = () => this.clients.delete(res)
    req.on('close', forget)
    res.on('close', forget)
  }

  /** Sends `data` as JSON under the event name `event` to every open page. */
  send(event: string, data: unknown): void {
    // JSON.stringify escapes line breaks inside strings, so the data is one line.
    this.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`)
  }

  close(): void {
    clearInterval(this.heartbeat)
    for (const res of this.clients) res.end()
    this.clients.clear()
  }

  private write(chunk: string): void {
    for (const res of this.clients) {
      if (res.writableLength > MAX_PENDING_BYTES) {
        res.destroy()
        this.clients.delete(res)
      } else res.write(chunk)
    }
  }
}
