import type { OtlpPayload, SendResult, Signal, Transport } from './export.ts'
import { ExportError, jsonEncoding } from './export.ts'
import { LIBRARY_NAME, LIBRARY_VERSION } from '../sdk/version.ts'

/** Where one signal goes: URL, headers, per-attempt timeout (ms) and gzip. */
export interface OtlpHttpTarget {
  url: string
  headers: Record<string, string>
  /** ms for one attempt. */
  timeout: number
  gzip: boolean
}

export interface RetryPolicy {
  /** All attempts and waits of one payload end by this many ms after the first attempt. */
  deadline: number
  /** The first backoff, doubled per attempt up to `maxBackoff`, with jitter. */
  initialBackoff: number
  maxBackoff: number
}

export const defaultRetryPolicy: RetryPolicy = { deadline: 20_000, initialBackoff: 1_000, maxBackoff: 5_000 }

/** The default policy with another deadline (`EDGE_OTEL_RETRY_DEADLINE`). */
export const retryPolicy = (deadline: number): RetryPolicy => ({ ...defaultRetryPolicy, deadline })

/** The statuses the OTLP/HTTP spec calls retryable. Any other failure is final. */
export const RETRYABLE_STATUSES = new Set([429, 502, 503, 504])

/** A `Retry-After` value (delta-seconds or an HTTP-date) in ms from `now`, or undefined if absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined
  const trimmed = value.trim()
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000
  const date = Date.parse(trimmed)
  return Number.isNaN(date) ? undefined : Math.max(0, date - now)
}

/** Exponential backoff with jitter: between half and all of `initial × 2^(attempt-1)`, capped. */
export function backoff(attempt: number, policy: RetryPolicy, random = Math.random): number {
  const ceiling = Math.min(policy.maxBackoff, policy.initialBackoff * 2 ** (attempt - 1))
  return ceiling / 2 + random() * (ceiling / 2)
}

export async function gzip(body: Uint8Array | string): Promise<Uint8Array> {
  const stream = new Blob([body]).stream().pipeThrough(new CompressionStream('gzip'))
  return new Uint8Array(await new Response(stream).arrayBuffer())
}

/** Reads ExportXServiceResponse.partial_success (field 1: {rejected = 1, error_message = 2}) from protobuf. */
export function readPartialSuccessProto(bytes: Uint8Array): SendResult {
  let pos = 0
  const varint = () => {
    let result = 0
    let shift = 1
    for (;;) {
      const b = bytes[pos++]
      result += (b & 0x7f) * shift
      if (b < 0x80 || pos >= bytes.length) return result
      shift *= 128
    }
  }
  const skip = (wire: number) => {
    if (wire === 0) varint()
    else if (wire === 1) pos += 8
    else if (wire === 2) pos += varint()
    else if (wire === 5) pos += 4
    else pos = bytes.length
  }
  const result: SendResult = {}
  while (pos < bytes.length) {
    const tag = varint()
    if (tag >> 3 !== 1 || (tag & 7) !== 2) {
      skip(tag & 7)
      continue
    }
    const end = pos + varint()
    while (pos < end) {
      const inner = varint()
      if (inner === 0x08) result.rejected = varint()
      else if (inner === 0x12) {
        const length = varint()
        result.message = new TextDecoder().decode(bytes.subarray(pos, pos + length))
        pos += length
      } else skip(inner & 7)
    }
  }
  return result
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * OTLP/HTTP as the spec describes it: one POST per payload to the signal's URL, retried on 429,
 * 502, 503, 504 and network failures (honouring `Retry-After`, else exponential backoff with jitter),
 * each attempt bounded by the timeout and all of them by the deadline. Other statuses are final.
 * It uses the `fetch` it is given, so its own requests are never traced.
 */
export class OtlpHttpTransport implements Transport {
  readonly #targets: Partial<Record<Signal, OtlpHttpTarget>>
  readonly #fetchFn: typeof fetch
  readonly #policy: RetryPolicy

  constructor(targets: Partial<Record<Signal, OtlpHttpTarget>>, fetchFn: typeof fetch, policy: RetryPolicy = defaultRetryPolicy) {
    this.#targets = targets
    this.#fetchFn = fetchFn
    this.#policy = policy
  }

  async send(payload: OtlpPayload): Promise<SendResult | void> {
    const target = this.#targets[payload.signal]
    if (!target) return
    const headers: Record<string, string> = {
      ...target.headers,
      'content-type': payload.contentType,
      'user-agent': `${LIBRARY_NAME}/${LIBRARY_VERSION}`,
    }
    let body: Uint8Array | string = payload.body
    if (payload.contentEncoding === 'gzip') {
      headers['content-encoding'] = 'gzip'
    } else if (target.gzip) {
      body = await gzip(body)
      headers['content-encoding'] = 'gzip'
    }
    const deadline = Date.now() + this.#policy.deadline
    for (let attempt = 1; ; attempt++) {
      const remaining = deadline - Date.now()
      let response: Response
      try {
        response = await this.#fetchFn(target.url, {
          method: 'POST',
          headers,
          body,
          signal: AbortSignal.timeout(Math.max(1, Math.min(target.timeout, remaining))),
        })
      } catch (error) {
        // Network failure, disconnect or timeout: retryable while the deadline allows.
        const wait = backoff(attempt, this.#policy)
        const reason = error instanceof Error ? error : new Error(String(error))
        if (Date.now() + wait >= deadline) throw new ExportError(`${reason.name}: ${reason.message} (after ${attempt} attempts)`, undefined, reason.name, true)
        await sleep(wait)
        continue
      }
      if (response.ok) {
        const bytes = new Uint8Array(await response.arrayBuffer().catch(() => new ArrayBuffer(0)))
        if (bytes.length === 0) return {}
        if (payload.contentType !== 'application/json') return readPartialSuccessProto(bytes)
        return jsonEncoding()?.partialSuccess(new TextDecoder().decode(bytes)) ?? {}
      }
      await response.arrayBuffer().catch(() => undefined)
      if (!RETRYABLE_STATUSES.has(response.status)) {
        throw new ExportError(`HTTP ${response.status} from ${target.url} (not retryable)`, response.status)
      }
      const wait = parseRetryAfter(response.headers.get('retry-after')) ?? backoff(attempt, this.#policy)
      if (Date.now() + wait >= deadline) {
        throw new ExportError(`HTTP ${response.status} from ${target.url} (gave up after ${attempt} attempts)`, response.status, undefined, true)
      }
      await sleep(wait)
    }
  }
}
