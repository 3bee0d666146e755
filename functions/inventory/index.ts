import { Hono } from 'hono'
import { otel, otlpJson } from 'edge-otel'
import { RECALLED_SKU, STOCK } from '../../shared/catalog.ts'

class WarehouseUnavailableError extends Error {
  override name = 'WarehouseUnavailableError'
}

const app = new Hono()
// encodings: [otlpJson] lets OTEL_EXPORTER_OTLP_PROTOCOL=http/json work in this worker.
app.use(otel({ serviceName: 'inventory', encodings: [otlpJson] }))

app.get('/stock/:sku', (c) => {
  const sku = c.req.param('sku')
  if (sku === RECALLED_SKU) throw new WarehouseUnavailableError(`warehouse for ${sku} is not answering`)
  const stock = STOCK[sku]
  return stock ? c.json(stock) : c.json({ error: 'unknown sku' }, 404)
})

export default app
