import { gunzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import type { OtlpPayload, Transport } from '../exporter/export.ts'
import { OffThreadGzip, compressingWith } from './gzip-worker.ts'

const body = new TextEncoder().encode('a span, '.repeat(500))
const unzip = (bytes: Uint8Array) => new TextDecoder().decode(gunzipSync(bytes))

/** A Worker class whose workers fail as a broken runtime's would: at construction, or with an error event. */
function failingWorker(how: 'throws' | 'errors') {
  return class {
    listeners = new Map<string, (event: { message?: string }) => void>()
    constructor() {
      if (how === 'throws') throw new Error('blob: URLs are not allowed here')
    }
    addEventListener(type: string, listener: (event: { message?: string }) => void) {
      this.listeners.set(type, listener)
    }
    postMessage() {
      queueMicrotask(() => this.listeners.get('error')?.({ message: 'out of memory' }))
    }
    terminate() {}
  }
}

describe('OffThreadGzip', () => {
  it('compresses on the serving thread where there is no Worker, and says so once', async () => {
    const warnings: string[] = []
    const gzip = new OffThreadGzip((m) => warnings.push(m), null)
    expect(unzip(await gzip.compress(body))).toBe(new TextDecoder().decode(body))
    await gzip.compress('text')
    expect(gzip.offThread).toBe(false)
    expect(warnings).toEqual(['export compression runs on the serving thread: this runtime has no Web Worker.'])
  })

  it('falls back, naming why, when the Worker cannot start', async () => {
    const warnings: string[] = []
    const gzip = new OffThreadGzip((m) => warnings.push(m), failingWorker('throws'))
    expect(unzip(await gzip.compress(body))).toBe(new TextDecoder().decode(body))
    expect(warnings).toEqual(['export compression runs on the serving thread: starting it failed: Error: blob: URLs are not allowed here.'])
  })

  it('compresses in-thread the bodies a failed worker held, and every one after', async () => {
    const warnings: string[] = []
    const gzip = new OffThreadGzip((m) => warnings.push(m), failingWorker('errors'))
    const held = await Promise.all([gzip.compress(body), gzip.compress('second')])
    expect(held.map(unzip)).toEqual([new TextDecoder().decode(body), 'second'])
    expect(unzip(await gzip.compress('third'))).toBe('third')
    expect(warnings).toEqual(['export compression runs on the serving thread: it failed: out of memory.'])
  })
})

describe('compressingWith', () => {
  const payload = (signal: OtlpPayload['signal'], extra: Partial<OtlpPayload> = {}): OtlpPayload => ({ signal, contentType: 'application/x-protobuf', body, items: 1, ...extra })
  const targets = {
    traces: { url: 'http://127.0.0.1:1/v1/traces', headers: {}, timeout: 1000, gzip: true },
    metrics: { url: 'http://127.0.0.1:1/v1/metrics', headers: {}, timeout: 1000, gzip: false },
  }

  it('hands the transport compressed bodies for gzipped signals only, marked as compressed, and passes its answer back', async () => {
    const sent: OtlpPayload[] = []
    const transport: Transport = { send: async (p) => (sent.push(p), { rejected: 1, message: 'one' }) }
    const wrapped = compressingWith(new OffThreadGzip(() => {}, null), transport, targets)
    expect(await wrapped.send(payload('traces'))).toEqual({ rejected: 1, message: 'one' })
    await wrapped.send(payload('metrics'))
    const already = Uint8Array.from([1, 2, 3])
    await wrapped.send(payload('traces', { body: already, contentEncoding: 'gzip' }))
    expect(sent[0].contentEncoding).toBe('gzip')
    expect(unzip(sent[0].body as Uint8Array)).toBe(new TextDecoder().decode(body))
    expect(sent[1].body).toBe(body)
    expect(sent[1].contentEncoding).toBeUndefined()
    expect(sent[2].body).toBe(already)
  })

  it('passes the transport’s failure on, so the exporter counts and spills it as before', async () => {
    const transport: Transport = { send: async () => Promise.reject(new Error('HTTP 400')) }
    const wrapped = compressingWith(new OffThreadGzip(() => {}, null), transport, targets)
    await expect(wrapped.send(payload('traces'))).rejects.toThrow('HTTP 400')
  })
})
