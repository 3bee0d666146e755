import { Hono } from 'hono'
import { otel } from 'edge-otel'
import { relayJson } from '../../shared/http.ts'

type Env = { Bindings: { ORDERS: Fetcher } }

const app = new Hono<Env>()
app.use(otel({ serviceName: 'gateway' }))

app.get('/health', (c) => c.json({ ok: true }))

app.get('/orders/:id', async (c) => {
  const response = await c.env.ORDERS.fetch(`https://orders/orders/${encodeURIComponent(c.req.param('id'))}`)
  return relayJson(c, response)
})

app.post('/orders', async (c) => {
  const response = await c.env.ORDERS.fetch('https://orders/orders', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: await c.req.text(),
  })
  return relayJson(c, response)
})

export default app
