import { expect } from 'vitest'
import type { ReceivedSpan } from '../middleware/testing/decode.ts'

export const SERVER = 2
export const CLIENT = 3
export const INTERNAL = 1
export const STATUS_ERROR = 2

/** A decoded span for tests of what reads them: what `fields` leaves out is empty, and it lasts from 1 to 2 ns. */
export function receivedSpan({ traceId, spanId, name, ...fields }: Pick<ReceivedSpan, 'traceId' | 'spanId' | 'name'> & Partial<ReceivedSpan>): ReceivedSpan {
  return {
    traceId,
    spanId,
    parentSpanId: undefined,
    name,
    kind: 1,
    startTimeUnixNano: '1',
    endTimeUnixNano: '2',
    attributes: {},
    events: [],
    links: [],
    status: {},
    resource: {},
    scope: {},
    ...fields,
  }
}

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

/** The spans one GET /orders/:id produces across gateway → orders → inventory, with inventory's stock cache warm. */
export const ORDER_TRACE_SIZE = 8

/**
 * The spans one GET `path` (`/orders/<id>…`) produces: order 88 adds inventory's "warehouse lookup" span; order 13's
 * inventory fails before it reads its stock cache.
 */
export function orderTraceSize(path: string): number {
  const id = path.split('?')[0]
  return id === '/orders/88' ? ORDER_TRACE_SIZE + 1 : id === '/orders/13' ? ORDER_TRACE_SIZE - 1 : ORDER_TRACE_SIZE
}

/**
 * The eight spans (seven when inventory fails) of one GET /orders/:id (gateway SERVER and CLIENT, orders SERVER, its "load order"
 * span with the D1 query under it, and its CLIENT to inventory, inventory SERVER and its KV read),
 * after checking each one's parent.
 */
export function orderTrace(spans: ReceivedSpan[]) {
  const t = {
    gatewayServer: find(spans, 'gateway', SERVER),
    gatewayClient: find(spans, 'gateway', CLIENT),
    ordersServer: find(spans, 'orders', SERVER),
    ordersUser: find(spans, 'orders', INTERNAL, 'load order'),
    ordersQuery: find(spans, 'orders', CLIENT, 'd1_first'),
    ordersClient: find(spans, 'orders', CLIENT, 'GET'),
    inventoryServer: find(spans, 'inventory', SERVER),
    // Inventory reads its stock cache unless it failed first (order 13's recalled SKU).
    inventoryCache: spans.some((s) => s.resource['service.name'] === 'inventory' && s.kind === SERVER && s.status.code === STATUS_ERROR)
      ? undefined
      : find(spans, 'inventory', CLIENT, 'kv_get'),
  }
  expect(t.gatewayClient.parentSpanId).toBe(t.gatewayServer.spanId)
  expect(t.ordersServer.parentSpanId).toBe(t.gatewayClient.spanId)
  expect(t.ordersUser.parentSpanId).toBe(t.ordersServer.spanId)
  expect(t.ordersClient.parentSpanId).toBe(t.ordersServer.spanId)
  expect(t.ordersQuery.parentSpanId).toBe(t.ordersUser.spanId)
  expect(t.inventoryServer.parentSpanId).toBe(t.ordersClient.spanId)
  if (t.inventoryCache) expect(t.inventoryCache.parentSpanId).toBe(t.inventoryServer.spanId)
  return t
}
