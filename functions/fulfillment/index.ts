import { metrics, trace } from '@opentelemetry/api'
import { instrumentQueueHandler, otlpJson, tailSampling } from 'edge-otel'

/** The event `orders` publishes when it accepts an order. */
export interface OrderPlaced {
  type: 'order-placed'
  sku: string
  quantity: number
}

const MAX_SHIPMENT = 50

const shipped = metrics.getMeter('fulfillment').createCounter('orders.shipped', { unit: '{order}' })

// Ships accepted orders. An order over 50 items cannot ship: it fails, is retried, and after
// max_retries lands in order-placed-dlq (a poison message, to show the dead-letter path).
// tailSampling() keeps every batch with a failed message when OTEL_TRACES_SAMPLER samples a ratio.
export default {
  queue: instrumentQueueHandler<OrderPlaced>(
    (message) => {
      const { sku, quantity } = message.body
      trace.getActiveSpan()?.setAttributes({ 'app.order.sku': sku, 'app.order.quantity': quantity })
      if (quantity > MAX_SHIPMENT) throw new RangeError(`cannot ship ${quantity} items at once (the limit is ${MAX_SHIPMENT})`)
      shipped.add(1, { 'app.order.sku': sku })
    },
    { serviceName: 'fulfillment', maxRetries: 2, encodings: [otlpJson], tailSampling: tailSampling() },
  ),
}
