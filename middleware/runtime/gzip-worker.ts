// In a long-lived server, the export's gzip off the thread that serves requests: a Web Worker made from
// a Blob (no file of its own, so the package and a bundler need nothing more) takes each encoded body,
// compresses it and hands the bytes back, transferred. The transport stays on the serving thread, so
// retries, partial success, spilling and the exporter's own metrics are unchanged: it sends a body
// marked as already compressed. Where there is no Worker, or it fails, bodies are compressed in-thread.
import type { OtlpHttpTarget } from '../exporter/http.ts'
import { gzip } from '../exporter/http.ts'
import type { OtlpPayload, Signal, Transport } from '../exporter/export.ts'

/** The worker: a string, so that no bundler rewrites or renames what runs on the other side. */
const WORKER_SOURCE = `onmessage = async (event) => {
  const [id, body] = event.data
  try {
    const stream = new Blob([body]).stream().pipeThrough(new CompressionStream('gzip'))
    const bytes = new Uint8Array(await new Response(stream).arrayBuffer())
    postMessage([id, bytes], [bytes.buffer])
  } catch (error) {
    postMessage([id, undefined, String(error)])
  }
}`

interface WorkerLike {
  postMessage(message: unknown): void
  addEventListener(type: string, listener: (event: { data?: unknown; message?: string }) => void): void
  terminate(): void
  unref?(): void
}

/**
 * ms an idle worker is kept: Deno cannot unref a worker, and a live one keeps the process from ending
 * when its work is done, so it is stopped after a pause in the exports and started again by the next.
 */
const IDLE_MS = 2000

type WorkerConstructor = new (url: string, options: { type: 'module'; name: string }) => WorkerLike

/** Compresses bodies on a Web Worker, or in-thread once the worker is missing or has failed. */
export class OffThreadGzip {
  #worker: WorkerLike | undefined
  /** The worker's Blob URL, revoked when it stops (Bun reads it after the constructor has returned). */
  #url: string | undefined
  #failed: string | undefined
  #next = 0
  #idle: ReturnType<typeof setTimeout> | undefined
  readonly #pending = new Map<number, { body: Uint8Array | string; done(bytes: Promise<Uint8Array>): void }>()
  readonly #warn: (message: string) => void
  readonly #Worker: WorkerConstructor | undefined

  /** `warn` is told once why compression went back to the serving thread. */
  constructor(warn: (message: string) => void, WorkerClass: unknown = (globalThis as { Worker?: unknown }).Worker) {
    this.#warn = warn
    this.#Worker = typeof WorkerClass === 'function' ? (WorkerClass as WorkerConstructor) : undefined
    if (!this.#Worker) this.#fail('this runtime has no Web Worker')
  }

  /** The gzip of `body`, made on the worker. Never rejects where in-thread gzip would not. */
  compress(body: Uint8Array | string): Promise<Uint8Array> {
    const worker = this.#failed ? undefined : this.#start()
    if (!worker) return gzip(body)
    clearTimeout(this.#idle)
    const id = this.#next++
    return new Promise<Uint8Array>((resolve) => {
      this.#pending.set(id, { body, done: resolve })
      try {
        worker.postMessage([id, body])
      } catch (error) {
        this.#fail(`posting to it failed: ${String(error)}`)
      }
    })
  }

  /** True while compression runs on the worker. */
  get offThread(): boolean {
    return !this.#failed
  }

  #start(): WorkerLike | undefined {
    if (this.#worker) return this.#worker
    try {
      this.#url = URL.createObjectURL(new Blob([WORKER_SOURCE], { type: 'text/javascript' }))
      const worker = new this.#Worker!(this.#url, { type: 'module', name: 'edge-otel gzip' })
      worker.addEventListener('message', ({ data }) => this.#answer(data as [number, Uint8Array | undefined, string?]))
      worker.addEventListener('error', (event) => this.#fail(`it failed: ${event.message ?? 'error'}`))
      worker.addEventListener('messageerror', () => this.#fail('a message to it could not be read'))
      // Bun: an idle worker does not keep the process alive (Deno has no unref: see IDLE_MS).
      worker.unref?.()
      this.#worker = worker
      return worker
    } catch (error) {
      this.#fail(`starting it failed: ${String(error)}`)
      return undefined
    }
  }

  #answer([id, bytes, error]: [number, Uint8Array | undefined, string?]): void {
    const job = this.#pending.get(id)
    if (!job) return
    this.#pending.delete(id)
    job.done(bytes ? Promise.resolve(bytes) : Promise.reject(new Error(`gzip on the worker: ${error}`)))
    if (!this.#pending.size) this.#idle = setTimeout(() => this.#stop(), IDLE_MS)
  }

  #stop(): void {
    if (this.#pending.size) return
    this.#terminate()
  }

  #terminate(): void {
    this.#worker?.terminate()
    this.#worker = undefined
    if (this.#url) URL.revokeObjectURL(this.#url)
    this.#url = undefined
  }

  #fail(why: string): void {
    if (this.#failed) return
    this.#failed = why
    this.#warn(`export compression runs on the serving thread: ${why}.`)
    clearTimeout(this.#idle)
    this.#terminate()
    for (const job of this.#pending.values()) job.done(gzip(job.body))
    this.#pending.clear()
  }
}

/**
 * `transport` with the bodies that its targets gzip compressed by `compressor` first, and sent as
 * already compressed; payloads of ungzipped signals, and ones already compressed, pass as they are.
 */
export function compressingWith(compressor: OffThreadGzip, transport: Transport, targets: Partial<Record<Signal, OtlpHttpTarget>>): Transport {
  return {
    async send(payload: OtlpPayload) {
      if (payload.contentEncoding === 'gzip' || !targets[payload.signal]?.gzip) return transport.send(payload)
      const body = await compressor.compress(payload.body)
      return transport.send({ ...payload, body, contentEncoding: 'gzip' })
    },
  }
}
