import { expect } from 'vitest'
import type { ReceivedSpan } from '../middleware/testing/decode.ts'

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

/**
 * The six spans of one GET /orders/:id (gateway SERVER and CLIENT, orders SERVER, its "load order"
 * span and CLIENT, inventory SERVER), after checking each one's parent.
 */
export function orderTrace(spans: ReceivedSpan[]) {
  const t = {
    gatewayServer: find(spans, 'gateway', SERVER),
    gatewayClient: find(spans, 'gateway', CLIENT),
    ordersServer: find(spans, 'orders', SERVER),
    ordersUser: find(spans, 'orders', INTERNAL, 'load order'),
    ordersClient: find(spans, 'orders', CLIENT),
    inventoryServer: find(spans, 'inventory', SERVER),
  }
  expect(t.gatewayClient.parentSpanId).toBe(t.gatewayServer.spanId)
  expect(t.ordersServer.parentSpanId).toBe(t.gatewayClient.spanId)
  expect(t.ordersUser.parentSpanId).toBe(t.ordersServer.spanId)
  expect(t.ordersClient.parentSpanId).toBe(t.ordersServer.spanId)
  expect(t.inventoryServer.parentSpanId).toBe(t.ordersClient.spanId)
  return t
}
