import { type OtlpPayload, SIGNALS, type Signal } from './export.ts'
import { gzip } from './http.ts'

/** Largest spilled message: Cloudflare Queues take up to 128 KB per message. */
const MAX_MESSAGE_BYTES = 120 * 1024

/**
 * One OTLP payload the collector could not take, as it travels on the spill queue: already
 * encoded and gzip-compressed, so the replay sends exactly the bytes that failed. The queue
 * message holds no endpoint and no headers; the replaying worker uses its own configuration.
 */
export interface SpilledPayload {
  v: 1
  signal: Signal
  contentType: string
  items: number
  body: Uint8Array
  spilledAt: number
}

/** The part of a Cloudflare Queue producer binding that spilling needs. */
export interface SpillQueue {
  send(message: unknown, options?: { contentType?: string }): Promise<unknown>
}

export function isSpillQueue(value: unknown): value is SpillQueue {
  return typeof value === 'object' && value !== null && typeof (value as SpillQueue).send === 'function' && typeof (value as { sendBatch?: unknown }).sendBatch === 'function'
}

/** Puts a payload on the queue; rejects when it cannot (too large, or the queue refused). */
export async function spill(queue: SpillQueue, payload: OtlpPayload): Promise<void> {
  const body = payload.contentEncoding === 'gzip' && typeof payload.body !== 'string' ? payload.body : await gzip(payload.body)
  if (body.length > MAX_MESSAGE_BYTES) throw new Error(`batch too large for a queue message (${body.length} bytes)`)
  const message: SpilledPayload = { v: 1, signal: payload.signal, contentType: payload.contentType, items: payload.items, body, spilledAt: Date.now() }
  await queue.send(message, { contentType: 'v8' })
}

export function isSpilledPayload(value: unknown): value is SpilledPayload {
  const m = value as SpilledPayload
  return typeof m === 'object' && m !== null && m.v === 1 && SIGNALS.includes(m.signal) && m.body instanceof Uint8Array
}

/** The payload to send again. */
export function toPayload(m: SpilledPayload): OtlpPayload {
  return { signal: m.signal, contentType: m.contentType, items: m.items, body: m.body, contentEncoding: 'gzip' }
}
