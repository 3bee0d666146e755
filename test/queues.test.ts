// Trace context across a Cloudflare Queue, dead letters and cron, in workerd with real Queues.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type OrderQueue, startOrderQueue, until } from './dead-letters.ts'
import { CLIENT, SERVER, STATUS_ERROR, find } from './trace-helpers.ts'

const PRODUCER = 4
const CONSUMER = 5

let queue: OrderQueue
let receiver: OrderQueue['receiver']
let functions: OrderQueue['functions']
let deadLetters: OrderQueue['deadLetters']

beforeAll(async () => {
  queue = await startOrderQueue()
  ;({ receiver, functions, deadLetters } = queue)
})

afterAll(() => queue?.close())

const placeOrder = (sku: string, quantity: number) => queue.placeOrder(sku, quantity)

describe('order-placed events through a Cloudflare Queue', () => {
  it('link the consumer to the HTTP request that produced the message', async () => {
    expect(await placeOrder('sku-kiwi', 2)).toBe(201)
    await receiver.waitFor(() => receiver.spans.filter((s) => s.resource['service.name'] === 'fulfillment').length >= 2, 20_000, 'consumer spans')
    const producer = receiver.spans.find((s) => s.kind === PRODUCER)!
    expect(producer).toMatchObject({ name: 'send order-placed' })
    expect(producer.attributes).toMatchObject({ 'messaging.system': 'cloudflare_queues', 'messaging.destination.name': 'order-placed', 'messaging.operation.type': 'send' })
    const ordersServer = receiver.spans.find((s) => s.resource['service.name'] === 'orders' && s.kind === SERVER && s.traceId === producer.traceId)!
    expect(producer.parentSpanId).toBe(ordersServer.spanId)

    const consumerSpans = receiver.spans.filter((s) => s.resource['service.name'] === 'fulfillment' && s.kind === CONSUMER)
    const batch = consumerSpans.find((s) => s.attributes['messaging.batch.message_count'] !== undefined)!
    const message = consumerSpans.find((s) => s.parentSpanId === batch.spanId)!
    expect(batch.name).toBe('process order-placed')
    expect(batch.links).toContainEqual({ traceId: producer.traceId, spanId: producer.spanId })
    expect(message.links).toEqual([{ traceId: producer.traceId, spanId: producer.spanId }])
    expect(message.attributes).toMatchObject({ 'app.order.sku': 'sku-kiwi', 'app.order.quantity': 2 })
    expect(message.status.code ?? 0).toBe(0)
    // The shipment's receipt goes to R2: a CLIENT span under the message's span.
    await receiver.waitFor(() => receiver.spans.some((s) => s.name === 'r2_put'), 10_000, 'the receipt span')
    const receipt = receiver.spans.find((s) => s.name === 'r2_put')!
    expect(receipt).toMatchObject({ kind: CLIENT, parentSpanId: message.spanId, traceId: message.traceId })
    expect(receipt.attributes).toMatchObject({ 'db.system.name': 'cloudflare-r2', 'db.operation.name': 'put', 'cloudflare.binding.name': 'RECEIPTS' })

    // The handler's log line: one JSON line on the console, and the same record over OTLP, both with the trace.
    await receiver.waitFor(() => receiver.logs.some((l) => l.body === 'order accepted'), 10_000, 'the log record')
    const record = receiver.logs.find((l) => l.body === 'order accepted')!
    expect(record).toMatchObject({ severityNumber: 9, traceId: ordersServer.traceId, spanId: ordersServer.spanId })
    expect(record.attributes).toEqual({ 'app.order.sku': 'sku-kiwi', 'app.order.quantity': 2 })
    expect(record.resource['service.name']).toBe('orders')
    const line = functions.logs.map((l) => l.trim()).find((l) => l.includes('"message":"order accepted"'))!
    expect(JSON.parse(line)).toMatchObject({ severity: 'INFO', trace_id: ordersServer.traceId, span_id: ordersServer.spanId })
  }, 30_000)

  it('retry a poison message, record its failure, and leave it in the dead-letter queue', async () => {
    expect(await placeOrder('sku-kiwi', 99)).toBe(201)
    await until(() => deadLetters.messages.length > 0, 40_000)
    expect(deadLetters.messages).toHaveLength(1)
    await receiver.waitFor(
      () => receiver.metrics.some((m) => m.name === 'edge_otel.queue.dead_lettered'),
      20_000,
      'the dead-letter metric',
    )
    const failed = receiver.spans.filter((s) => s.resource['service.name'] === 'fulfillment' && s.attributes['app.order.quantity'] === 99)
    // The first attempt and max_retries (2) more.
    expect(failed).toHaveLength(3)
    for (const span of failed) {
      expect(span.status.code).toBe(STATUS_ERROR)
      expect(span.attributes['error.type']).toBe('RangeError')
      expect(span.events[0]).toMatchObject({ name: 'exception', attributes: { 'exception.message': 'cannot ship 99 items at once (the limit is 50)' } })
    }
    expect(failed.filter((s) => s.attributes['edge_otel.queue.dead_lettered'] === true)).toHaveLength(1)
    const dead = receiver.metrics.filter((m) => m.name === 'edge_otel.queue.dead_lettered').flatMap((m) => m.points)
    expect(dead.reduce((n, p) => n + (p.value ?? 0), 0)).toBe(1)
  }, 60_000)
})

describe('cron', () => {
  it('traces a scheduled run with faas.trigger=timer and exports it', async () => {
    const inventory = await functions.mf.getWorker('inventory')
    await inventory.scheduled({ cron: '*/30 * * * *', scheduledTime: new Date() })
    await receiver.waitFor(() => receiver.spans.some((s) => s.name === 'cron */30 * * * *'), 10_000, 'the cron span')
    const span = find(receiver.spans.filter((s) => s.name.startsWith('cron')), 'inventory', SERVER)
    expect(span.attributes).toMatchObject({ 'faas.trigger': 'timer', 'faas.cron': '*/30 * * * *', 'app.stock.low_skus': ['sku-pear', 'sku-fig'] })
  })
})
