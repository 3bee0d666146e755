import { trace } from '@opentelemetry/api'
import { Hono } from 'hono'
import { log, otel } from 'edge-otel'

const tracer = trace.getTracer('worker-with-tests')

const app = new Hono()
app.use(otel())

app.get('/orders/:id', (c) => {
  const id = c.req.param('id')
  const order = tracer.startActiveSpan('load order', (span) => {
    span.setAttribute('app.order.id', id)
    span.end()
    return /^\d+$/.test(id) ? { id: Number(id), status: 'shipped' } : undefined
  })
  if (!order) {
    log.warn('no such order', { 'app.order.id': id })
    return c.json({ error: 'no such order' }, 404)
  }
  return c.json(order)
})

export default app
