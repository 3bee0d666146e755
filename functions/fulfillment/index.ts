import { metrics, trace } from '@opentelemetry/api'
import { instrumentQueueHandler, otlpJson, registerTelemetry, tailSampling } from 'edge-otel'

/** The event `orders` publishes when it accepts an order. */
export interface OrderPlaced {
  type: 'order-placed'
  sku: string
  quantity: number
}

const MAX_SHIPMENT = 50

// A meter got before edge-otel registers with the API records nothing, so register before making one here.
registerTelemetry()
const shipped = metrics.getMeter('fulfillment').createCounter('orders.shipped', { unit: '{order}' })

// Ships accepted orders. An order over 50 items cannot ship: it fails, is retried, and after
// max_retries lands in order-placed-dlq (a poison message, to show the dead-letter path).
// tailSampling() keeps every batch with a failed message when OTEL_TRACES_SAMPLER samples a ratio.
// Each shipment leaves a receipt in R2, under shipments/<message id>.json.
export default {
  queue: instrumentQueueHandler<OrderPlaced, { RECEIPTS: R2Bucket }>(
    async (message, env) => {
      const { sku, quantity } = message.body
      trace.getActiveSpan()?.setAttributes({ 'app.order.sku': sku, 'app.order.quantity': quantity })
      if (quantity > MAX_SHIPMENT) throw new RangeError(`cannot ship ${quantity} items at once (the limit is ${MAX_SHIPMENT})`)
      const receipt = { sku, quantity, shippedAt: new Date().toISOString() }
      await env.RECEIPTS.put(`shipments/${message.id}.json`, JSON.stringify(receipt), { httpMetadata: { contentType: 'application/json' } })
      shipped.add(1, { 'app.order.sku': sku })
    },
    { serviceName: 'fulfillment', maxRetries: 2, encodings: [otlpJson], tailSampling: tailSampling() },
  ),
}
