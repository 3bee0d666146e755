// The example shop's RPC calls: POST /orders reserves stock in a Durable Object (one per SKU) in
// inventory, and GET /stock/:sku calls inventory's WorkerEntrypoint, each in the caller's trace.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { ReceivedSpan } from '../middleware/testing/decode.ts'
import type { Receiver } from '../middleware/testing/receiver.ts'
import { type RunningFunctions, startExamplesWithReceiver } from './functions.ts'
import { CLIENT, SERVER, byTrace, find } from './trace-helpers.ts'

const PRODUCER = 4

let receiver: Receiver
let functions: RunningFunctions
let dispose: () => Promise<void>

beforeAll(async () => {
  ;({ receiver, functions, dispose } = await startExamplesWithReceiver())
})

afterAll(() => dispose?.())

beforeEach(async () => {
  await receiver.idle()
  receiver.clear()
})

/**
 * The spans one accepted POST /orders makes in gateway, orders and inventory (the queue consumer's are a trace of their
 * own): inventory's stock lookup reads its KV cache (one `kv_get`, the cache being warm).
 */
const ORDER_POST_SIZE = 11

/** Checks one accepted order's trace, span by span, and returns the reservation's two RPC spans. */
function orderPost(spans: ReceivedSpan[]) {
  const gatewayServer = find(spans, 'gateway', SERVER)
  const gatewayClient = find(spans, 'gateway', CLIENT)
  const ordersServer = find(spans, 'orders', SERVER)
  const reserveClient = find(spans, 'orders', CLIENT, 'STOCK/reserve')
  const stockClient = find(spans, 'orders', CLIENT, 'GET')
  const stockServer = find(spans, 'inventory', SERVER, 'GET /stock/:sku')
  const reserveServer = find(spans, 'inventory', SERVER, 'StockReservation/reserve')
  const producer = find(spans, 'orders', PRODUCER)
  const storage = spans.filter((s) => s.name.startsWith('durable_object_storage_'))
  const stockCache = find(spans, 'inventory', CLIENT, 'kv_get')
  expect(gatewayClient.parentSpanId).toBe(gatewayServer.spanId)
  expect(ordersServer.parentSpanId).toBe(gatewayClient.spanId)
  expect(stockClient.parentSpanId).toBe(ordersServer.spanId)
  expect(stockServer.parentSpanId).toBe(stockClient.spanId)
  expect(stockCache.parentSpanId).toBe(stockServer.spanId)
  expect(reserveClient.parentSpanId).toBe(ordersServer.spanId)
  expect(reserveServer.parentSpanId).toBe(reserveClient.spanId)
  expect(producer.parentSpanId).toBe(ordersServer.spanId)
  expect(storage.map((s) => s.name).sort()).toEqual(['durable_object_storage_get', 'durable_object_storage_put'])
  for (const s of storage) expect(s).toMatchObject({ kind: CLIENT, parentSpanId: reserveServer.spanId })
  return { reserveClient, reserveServer }
}

const placeOrder = async (sku: string, quantity: number) => {
  const response = await functions.fetch('/orders', { method: 'POST', body: JSON.stringify({ sku, quantity }), headers: { 'content-type': 'application/json' } })
  return { status: response.status, body: await response.json() }
}

describe('POST /orders reserves stock in a Durable Object by RPC', () => {
  it("puts the object's method span in the order's trace, under the caller's CLIENT span, both with rpc.method", async () => {
    expect(await placeOrder('sku-plum', 2)).toEqual({ status: 201, body: { status: 'accepted', sku: 'sku-plum', quantity: 2 } })
    await receiver.waitFor(() => receiver.spans.filter((s) => s.resource['service.name'] !== 'fulfillment').length >= ORDER_POST_SIZE, 15_000, 'the order trace')
    const spans = receiver.spans.filter((s) => s.resource['service.name'] !== 'fulfillment')
    expect(spans).toHaveLength(ORDER_POST_SIZE)
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1)
    const { reserveClient, reserveServer } = orderPost(spans)
    expect(reserveClient.attributes).toMatchObject({ 'rpc.system.name': 'cloudflare_workers_rpc', 'rpc.method': 'STOCK/reserve', 'cloudflare.jsrpc.method': 'reserve' })
    expect(reserveServer.attributes).toMatchObject({ 'rpc.system.name': 'cloudflare_workers_rpc', 'rpc.method': 'StockReservation/reserve', 'faas.trigger': 'other' })
    // The object's storage calls are in inventory's db.client.operation.duration, as its KV calls are.
    const storagePoints = () =>
      receiver.metrics
        .filter((m) => m.name === 'db.client.operation.duration' && m.resource['service.name'] === 'inventory')
        .flatMap((m) => m.points)
        .filter((p) => p.attributes['db.system.name'] === 'cloudflare.durable_object_storage')
    await receiver.waitFor(() => storagePoints().length >= 2, 10_000, 'the storage operation durations')
    expect(storagePoints().map((p) => [p.attributes['db.operation.name'], p.attributes['db.namespace'], p.count]).sort()).toEqual([
      ['get', 'StockReservation', 1],
      ['put', 'StockReservation', 1],
    ])
  })

  it('keeps 100 concurrent orders through one Durable Object as 100 whole, unmixed traces', async () => {
    const results = await Promise.all(Array.from({ length: 100 }, () => placeOrder('sku-kiwi', 1)))
    expect(results.every((r) => r.status === 201)).toBe(true)
    const ours = () => receiver.spans.filter((s) => s.resource['service.name'] !== 'fulfillment')
    await receiver.waitFor(() => ours().length >= 100 * ORDER_POST_SIZE, 30_000, `${100 * ORDER_POST_SIZE} spans`)
    await receiver.idle(300)
    expect(ours()).toHaveLength(100 * ORDER_POST_SIZE)
    const traces = byTrace(ours())
    expect(traces.size).toBe(100)
    for (const spans of traces.values()) {
      expect(spans).toHaveLength(ORDER_POST_SIZE)
      orderPost(spans)
    }
    // The object took the 100 reservations one at a time: 300 kiwis, 100 reserved.
    expect((await placeOrder('sku-kiwi', 201)).status).toBe(409)
    expect((await placeOrder('sku-kiwi', 200)).status).toBe(201)
  }, 90_000)
})

describe('GET /stock/:sku calls a WorkerEntrypoint by RPC', () => {
  it("puts the entrypoint's method span under the gateway's CLIENT span, in one trace", async () => {
    const response = await functions.fetch('/stock/sku-fig')
    expect(await response.json()).toEqual({ sku: 'sku-fig', available: 7, warehouse: 'fra' })
    // Late spans of the orders above (their queue consumer's) may still arrive: read this request's trace.
    const root = () => receiver.spans.find((s) => s.name === 'GET /stock/:sku' && s.resource['service.name'] === 'gateway')
    const trace = () => receiver.spans.filter((s) => s.traceId === root()?.traceId)
    await receiver.waitFor(() => trace().length >= 3, 10_000, 'three spans')
    await receiver.idle(300)
    const spans = trace()
    expect(spans).toHaveLength(3)
    const server = find(spans, 'gateway', SERVER)
    const client = find(spans, 'gateway', CLIENT)
    const method = find(spans, 'inventory', SERVER)
    expect(server.name).toBe('GET /stock/:sku')
    expect(client).toMatchObject({ name: 'STOCK_API/stock', parentSpanId: server.spanId })
    expect(client.attributes).toMatchObject({ 'rpc.method': 'STOCK_API/stock', 'cloudflare.binding.name': 'STOCK_API' })
    expect(method).toMatchObject({ name: 'StockLookup/stock', parentSpanId: client.spanId })
    expect(method.attributes).toMatchObject({ 'rpc.method': 'StockLookup/stock', 'rpc.system.name': 'cloudflare_workers_rpc', 'faas.trigger': 'other' })
  })
})
