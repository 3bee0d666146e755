// The bench's OTLP receivers: one real receiver (middleware/testing/receiver.ts) per variant, each on its own port,
// so every export is counted for the worker that sent it however late it arrives. They run in a
// child process (bench/receiver-process.ts) so decoding exports does not share the bench's event
// loop, or here with BENCH_RECEIVER=inline.
import { type ChildProcess, fork } from 'node:child_process'
import { resolve } from 'node:path'
import { type Receiver, startReceiver } from '../middleware/testing/receiver.ts'

/** What one variant's receiver has taken in so far. */
export interface ExportCounts {
  posts: number
  /** Bodies as sent, before any decompression. */
  wireBytes: number
  spans: number
  logs: number
  /** Data points of http.server.request.duration, summed over their counts. */
  serverPoints: number
  /** Requests the receiver could not decode. */
  rejected: number
}

/** Receivers for `n` variants; `urls[i]` is variant i's OTLP endpoint. */
export interface ReceiverSet {
  urls: string[]
  /** Totals per variant since the start. */
  counts(): Promise<ExportCounts[]>
  /** Resolves once nothing has arrived at any receiver for `quietMs`. */
  idle(quietMs: number): Promise<void>
  close(): Promise<void>
}

/** Starts `n` receivers in this process, keeping only counts (what arrives is decoded, counted and dropped). */
export async function startInlineReceivers(n: number): Promise<ReceiverSet> {
  const totals: ExportCounts[] = []
  const receivers: Receiver[] = []
  for (let i = 0; i < n; i++) {
    const total: ExportCounts = { posts: 0, wireBytes: 0, spans: 0, logs: 0, serverPoints: 0, rejected: 0 }
    totals.push(total)
    receivers.push(
      await startReceiver({
        strictJson: false,
        onSpans: (spans) => (total.spans += spans.length),
        onMetrics: (metrics) => {
          for (const m of metrics) if (m.name === 'http.server.request.duration') for (const p of m.points) total.serverPoints += p.count ?? 0
        },
        respond: (request) => {
          total.posts++
          total.wireBytes += request.wireBytes
          return 200
        },
      }),
    )
  }
  const drain = () => {
    receivers.forEach((r, i) => {
      totals[i].logs += r.logs.length
      totals[i].rejected += r.errors.length
      r.clear()
    })
  }
  return {
    urls: receivers.map((r) => r.url),
    async counts() {
      drain()
      return totals.map((t) => ({ ...t }))
    },
    async idle(quietMs) {
      for (const r of receivers) await r.idle(quietMs)
    },
    async close() {
      await Promise.all(receivers.map((r) => r.close()))
    },
  }
}

type Reply = { id: number; urls?: string[]; counts?: ExportCounts[] }

/** Starts `n` receivers in a child process (it inherits the bench's core), and talks to it over IPC. */
export async function startReceiverProcess(n: number): Promise<ReceiverSet> {
  const child: ChildProcess = fork(resolve(import.meta.dirname, 'receiver-process.ts'), [String(n)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  let nextId = 0
  const waiting = new Map<number, (reply: Reply) => void>()
  child.on('message', (reply: Reply) => {
    waiting.get(reply.id)?.(reply)
    waiting.delete(reply.id)
  })
  const exited = new Promise<never>((_, reject) => child.once('exit', (code) => reject(new Error(`the receiver process exited (${code})`))))
  exited.catch(() => {})
  const ask = (message: Record<string, unknown>) => {
    const id = nextId++
    const reply = new Promise<Reply>((resolveReply) => waiting.set(id, resolveReply))
    child.send({ ...message, id })
    return Promise.race([reply, exited])
  }
  const { urls } = await ask({ type: 'start' })
  return {
    urls: urls!,
    counts: async () => (await ask({ type: 'counts' })).counts!,
    idle: async (quietMs) => void (await ask({ type: 'idle', quietMs })),
    async close() {
      await ask({ type: 'close' })
      child.disconnect()
    },
  }
}

/** The receivers the bench uses: a child process unless BENCH_RECEIVER=inline. */
export function startReceivers(n: number): Promise<ReceiverSet> {
  return process.env.BENCH_RECEIVER === 'inline' ? startInlineReceivers(n) : startReceiverProcess(n)
}
