import type { Attributes } from '@opentelemetry/api'
import type { OtlpProtocol } from './config.ts'
import type { CollectedScope } from './metrics.ts'
import { encodeMetricsJson, encodeTracesJson } from './otlp-json.ts'
import { encodeMetricsProto, encodeTracesProto } from './otlp-proto.ts'
import type { FinishedSpan } from './tracer.ts'
import { LIBRARY_NAME, LIBRARY_VERSION } from './version.ts'

export type Signal = 'traces' | 'metrics'

/** One encoded OTLP request, ready for any transport. */
export interface OtlpPayload {
  signal: Signal
  contentType: string
  body: Uint8Array | string
  /** Spans or data points in the payload, for reporting. */
  items: number
}

/** Sends one encoded payload. Resolves when the receiver accepted it; rejects with the reason otherwise. */
export interface Transport {
  send(payload: OtlpPayload): Promise<void>
}

const CONTENT_TYPE: Record<OtlpProtocol, string> = {
  'http/protobuf': 'application/x-protobuf',
  'http/json': 'application/json',
}

export function encodeTraces(protocol: OtlpProtocol, resource: Attributes, spans: FinishedSpan[]): OtlpPayload {
  const body = protocol === 'http/json' ? encodeTracesJson(resource, spans) : encodeTracesProto(resource, spans)
  return { signal: 'traces', contentType: CONTENT_TYPE[protocol], body, items: spans.length }
}

export function encodeMetrics(protocol: OtlpProtocol, resource: Attributes, scopes: CollectedScope[]): OtlpPayload {
  const body = protocol === 'http/json' ? encodeMetricsJson(resource, scopes) : encodeMetricsProto(resource, scopes)
  let items = 0
  for (const s of scopes) for (const m of s.metrics) items += m.points.length
  return { signal: 'metrics', contentType: CONTENT_TYPE[protocol], body, items }
}

export class ExportError extends Error {
  readonly status: number | undefined

  constructor(message: string, status?: number) {
    super(message)
    this.name = 'ExportError'
    this.status = status
  }
}

export interface OtlpHttpTarget {
  url: string
  headers: Record<string, string>
}

/**
 * OTLP/HTTP: one POST per payload to the signal's URL.
 * It uses the `fetch` it is given, so its own requests are never traced.
 */
export class OtlpHttpTransport implements Transport {
  private readonly targets: Partial<Record<Signal, OtlpHttpTarget>>
  private readonly fetchFn: typeof fetch

  constructor(targets: Partial<Record<Signal, OtlpHttpTarget>>, fetchFn: typeof fetch) {
    this.targets = targets
    this.fetchFn = fetchFn
  }

  async send(payload: OtlpPayload): Promise<void> {
    const target = this.targets[payload.signal]
    if (!target) return
    const response = await this.fetchFn(target.url, {
      method: 'POST',
      headers: {
        ...target.headers,
        'content-type': payload.contentType,
        'user-agent': `${LIBRARY_NAME}/${LIBRARY_VERSION}`,
      },
      body: payload.body,
    })
    // Drain the body so the connection is released.
    await response.arrayBuffer().catch(() => undefined)
    if (!response.ok) {
      throw new ExportError(`HTTP ${response.status} from ${target.url}`, response.status)
    }
  }
}
