import { metrics, trace } from '@opentelemetry/api'
import { Hono } from 'hono'
import { instrumentQueue, log, otel, otlpJson, registerTelemetry, tailSampling } from 'edge-otel'
import { type Order, type Stock, orderId } from '../../shared/catalog.ts'
import type { StockReservation } from '../inventory/stock-reservation.ts'

type Env = { Bindings: { INVENTORY: Fetcher; ORDER_EVENTS: Queue; DB: D1Database; STOCK: DurableObjectNamespace<StockReservation> } }

const tracer = trace.getTracer('orders')
// A meter got before edge-otel registers with the API records nothing, so register before making one here.
registerTelemetry()
const ordersPlaced = metrics.getMeter('orders').createCounter('orders.placed', {
  description: 'Orders placed, by outcome.',
  unit: '{order}',
})

async function stockOf(inventory: Fetcher, sku: string): Promise<Stock | undefined> {
  const response = await inventory.fetch(`https://inventory/stock/${sku}`)
  return response.ok ? ((await response.json()) as Stock) : undefined
}

const app = new Hono<Env>()
// encodings: [otlpJson] lets OTEL_EXPORTER_OTLP_PROTOCOL=http/json work in this worker;
// tailSampling() keeps failed and slow requests when OTEL_TRACES_SAMPLER samples a ratio.
app.use(otel({ serviceName: 'orders', encodings: [otlpJson], tailSampling: tailSampling() }))

app.get('/orders/:id', async (c) => {
  const order = await tracer.startActiveSpan('load order', async (span) => {
    const id = orderId(c.req.param('id'))
    const found = id === undefined ? null : await c.env.DB.prepare('SELECT id, sku, quantity FROM orders WHERE id = ?').bind(id).first<Order>()
    span.setAttribute('app.order.found', found !== null)
    span.end()
    return found
  })
  if (!order) return c.json({ error: 'order not found' }, 404)
  trace.getActiveSpan()?.setAttribute('app.order.id', order.id)
  const stock = await stockOf(c.env.INVENTORY, order.sku)
  if (!stock) return c.json({ error: 'inventory unavailable' }, 502)
  return c.json({ ...order, inStock: stock.available >= order.quantity })
})

app.post('/orders', async (c) => {
  const input = (await c.req.json().catch(() => undefined)) as { sku?: unknown; quantity?: unknown } | undefined
  if (!input || typeof input.sku !== 'string' || !Number.isInteger(input.quantity) || (input.quantity as number) < 1) {
    return c.json({ error: 'expected {"sku": string, "quantity": positive integer}' }, 400)
  }
  const quantity = input.quantity as number
  const stock = await stockOf(c.env.INVENTORY, input.sku)
  // In stock: reserve it in the SKU's Durable Object, by an RPC call traced into this order's trace.
  const reservation = stock && stock.available >= quantity ? await c.env.STOCK.getByName(input.sku).reserve(input.sku, quantity) : undefined
  const accepted = reservation?.reserved === true
  ordersPlaced.add(1, { 'app.order.status': accepted ? 'accepted' : 'rejected' })
  const details = { 'app.order.sku': input.sku, 'app.order.quantity': input.quantity as number }
  if (accepted) log.info('order accepted', details)
  else log.warn('order rejected', { ...details, 'app.order.reason': stock ? 'insufficient stock' : 'unknown sku' })
  if (accepted) {
    // The trace continues in the fulfillment function, through the queue.
    await instrumentQueue(c.env.ORDER_EVENTS, 'order-placed').send({ type: 'order-placed', sku: input.sku, quantity: input.quantity })
  }
  return accepted
    ? c.json({ status: 'accepted', sku: input.sku, quantity: input.quantity }, 201)
    : c.json({ status: 'rejected', reason: stock ? 'insufficient stock' : 'unknown sku' }, 409)
})

export default app
