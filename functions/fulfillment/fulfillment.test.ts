// The fulfillment function as a user tests it with edge-otel/testing, inside workerd: a batch from
// the order-placed queue, made and handed to the consumer with Cloudflare's test helpers.
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test'
import { env } from 'cloudflare:workers'
import { collectTelemetry } from 'edge-otel/testing'
import { describe, expect, it } from 'vitest'
import worker, { type OrderPlaced } from './index.ts'

async function deliver(id: string, quantity: number) {
  const body: OrderPlaced = { type: 'order-placed', sku: 'sku-apple', quantity }
  const batch = createMessageBatch<OrderPlaced>('order-placed', [{ id, timestamp: new Date(), attempts: 1, body }])
  const ctx = createExecutionContext()
  await worker.queue(batch, env as unknown as { RECEIPTS: R2Bucket }, ctx)
  return getQueueResult(batch, ctx)
}

describe('fulfillment', () => {
  it('ships an order in a consumer span and counts it', async () => {
    const telemetry = await collectTelemetry(() => deliver('m1', 2))
    expect(telemetry.result.explicitAcks).toEqual(['m1'])
    expect(telemetry.spans).toContainSpan({ kind: 'consumer', attributes: { 'messaging.destination.name': 'order-placed', 'faas.trigger': 'pubsub' } })
    expect(telemetry.metrics).toHaveMetric({ name: 'orders.shipped', attributes: { 'app.order.sku': 'sku-apple' }, value: 1 })
  })

  it('records an order too large to ship as a failed message, retried', async () => {
    const telemetry = await collectTelemetry(() => deliver('m2', 500))
    expect(telemetry.result.retryMessages).toEqual([expect.objectContaining({ msgId: 'm2' })])
    expect(telemetry.spans).toContainSpan({ status: 'error', events: ['exception'], attributes: { 'error.type': 'RangeError' } })
  })
})
