import { Hono } from 'hono'
import { otel, otlpJson, replayTelemetry, tailSampling } from 'edge-otel'
import { relayJson } from '../../shared/http.ts'
import type { StockLookup } from '../inventory/stock-lookup.ts'

type Env = { Bindings: { ORDERS: Fetcher; STOCK_API: Service<StockLookup>; W3C_TEST_SERVICE?: string } }

const app = new Hono<Env>()
// encodings: [otlpJson] lets OTEL_EXPORTER_OTLP_PROTOCOL=http/json work in this worker;
// tailSampling() keeps failed and slow requests when OTEL_TRACES_SAMPLER samples a ratio.
app.use(otel({ serviceName: 'gateway', encodings: [otlpJson], tailSampling: tailSampling() }))

app.get('/health', (c) => c.json({ ok: true }))

app.get('/orders/:id', async (c) => {
  const response = await c.env.ORDERS.fetch(`https://orders/orders/${encodeURIComponent(c.req.param('id'))}`)
  return relayJson(c, response)
})

// A Workers RPC call to inventory's StockApi entrypoint: a CLIENT span here, its method's span there.
app.get('/stock/:sku', async (c) => {
  const stock = await c.env.STOCK_API.stock(c.req.param('sku'))
  return stock ? c.json(stock) : c.json({ error: 'unknown sku' }, 404)
})

app.post('/orders', async (c) => {
  const response = await c.env.ORDERS.fetch('https://orders/orders', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: await c.req.text(),
  })
  return relayJson(c, response)
})

// The test-service contract of the W3C trace-context test suite, for dev and test runs only
// (W3C_TEST_SERVICE=on; `npm run dev` sets it). For each {url, arguments} step, in order, POST
// the arguments as JSON to the url, through the traced global fetch.
app.post('/__w3c', async (c) => {
  if (c.env.W3C_TEST_SERVICE !== 'on') return c.notFound()
  const steps = await c.req.json<Array<{ url: string; arguments: unknown }>>().catch(() => undefined)
  if (!Array.isArray(steps)) return c.json({ error: 'expected a JSON array of {url, arguments}' }, 400)
  for (const step of steps) {
    const response = await fetch(step.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(step.arguments),
    })
    await response.arrayBuffer()
  }
  return c.json({ steps: steps.length })
})

// fetch serves requests; queue replays telemetry that other functions spilled while the collector was down.
export default { fetch: app.fetch, queue: replayTelemetry({ serviceName: 'gateway' }) }
