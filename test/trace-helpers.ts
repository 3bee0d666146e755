import type { ReceivedSpan } from '../infra/receiver/decode.ts'

export const SERVER = 2
export const CLIENT = 3
export const INTERNAL = 1
export const STATUS_ERROR = 2

export function byTrace(spans: ReceivedSpan[]): Map<string, ReceivedSpan[]> {
  const traces = new Map<string, ReceivedSpan[]>()
  for (const s of spans) {
    const t = traces.get(s.traceId)
    if (t) t.push(s)
    else traces.set(s.traceId, [s])
  }
  return traces
}

export function find(spans: ReceivedSpan[], service: string, kind: number, name?: string): ReceivedSpan {
  const found = spans.filter((s) => s.resource['service.name'] === service && s.kind === kind && (name === undefined || s.name === name))
  if (found.length !== 1) {
    throw new Error(`expected one ${service} span of kind ${kind}${name ? ` named ${name}` : ''}, found ${found.length}`)
  }
  return found[0]
}

/** The spans one GET /orders/:id produces across gateway → orders → inventory. */
export const ORDER_TRACE_SIZE = 6
