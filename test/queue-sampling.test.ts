// Tail sampling in a queue consumer, in workerd with real Queues. The head sampler drops every trace
// (always_off), so only the consumer's own tail decision can keep a batch.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type OrderQueue, startOrderQueue, until } from './dead-letters.ts'
import { STATUS_ERROR } from './trace-helpers.ts'

let queue: OrderQueue
beforeAll(async () => {
  queue = await startOrderQueue({ OTEL_TRACES_SAMPLER: 'always_off' })
})
afterAll(() => queue?.close())

/** Messages fulfillment consumed, from its metrics (never sampled). */
const consumed = () =>
  queue.receiver.metrics
    .filter((m) => m.name === 'messaging.client.consumed.messages' && m.resource['service.name'] === 'fulfillment')
    .flatMap((m) => m.points)
    .reduce((n, p) => n + (p.value ?? 0), 0)

it('keeps every failed batch of a poison message whole, and drops the batch that went well', async () => {
  const { receiver, deadLetters, placeOrder } = queue
  expect(await placeOrder('sku-fig', 2)).toBe(201)
  await receiver.waitFor(() => consumed() >= 1, 20_000, 'the good message consumed')
  expect(await placeOrder('sku-kiwi', 99)).toBe(201)
  await until(() => deadLetters.messages.length > 0, 40_000)
  const failedMessages = () => receiver.spans.filter((s) => s.resource['service.name'] === 'fulfillment' && s.attributes['app.order.quantity'] === 99)
  await receiver.waitFor(() => failedMessages().length >= 3, 20_000, 'the failed attempts')

  const fulfillment = receiver.spans.filter((s) => s.resource['service.name'] === 'fulfillment')
  expect(fulfillment.filter((s) => s.attributes['app.order.quantity'] === 2)).toEqual([])
  // The first attempt and max_retries (2) more, each kept with its batch span.
  expect(failedMessages()).toHaveLength(3)
  for (const message of failedMessages()) {
    expect(message.status.code).toBe(STATUS_ERROR)
    const batch = fulfillment.find((s) => s.spanId === message.parentSpanId)
    expect(batch?.traceId).toBe(message.traceId)
  }
  expect(fulfillment).toHaveLength(6)
}, 90_000)
