import { Hono } from 'hono'
import { SpanStatusCode, trace } from '@opentelemetry/api'
import { instrumentDurableObject, instrumentEntrypoint, instrumentScheduled, otel, otlpJson, tailSampling } from 'edge-otel'
import { FAR_SKU, FAR_WAREHOUSE_MS, RECALLED_SKU, STALE_SKU, STOCK, type Stock } from '../../shared/catalog.ts'
import { StockLookup } from './stock-lookup.ts'
import { StockReservation } from './stock-reservation.ts'

class WarehouseUnavailableError extends Error {
  override name = 'WarehouseUnavailableError'
}

const tracer = trace.getTracer('inventory')

/** How long a SKU's stock stays in the KV cache, in seconds (KV's shortest expiration). */
const CACHE_TTL_S = 60

/** Stock through the KV cache in front of the catalogue: a miss reads the catalogue and fills the cache. */
async function stockOf(cache: KVNamespace, sku: string): Promise<Stock | undefined> {
  const cached = await cache.get<Stock>(`stock:${sku}`, 'json')
  if (cached) return cached
  const stock = STOCK[sku]
  if (stock) await cache.put(`stock:${sku}`, JSON.stringify(stock), { expirationTtl: CACHE_TTL_S })
  return stock
}

const app = new Hono<{ Bindings: { STOCK_CACHE: KVNamespace } }>()
// encodings: [otlpJson] lets OTEL_EXPORTER_OTLP_PROTOCOL=http/json work in this worker;
// tailSampling() keeps failed and slow requests when OTEL_TRACES_SAMPLER samples a ratio.
const telemetryOptions = { serviceName: 'inventory', encodings: [otlpJson], tailSampling: tailSampling() }
app.use(otel(telemetryOptions))

app.get('/stock/:sku', async (c) => {
  const sku = c.req.param('sku')
  if (sku === RECALLED_SKU) throw new WarehouseUnavailableError(`warehouse for ${sku} is not answering`)
  if (sku === FAR_SKU) await new Promise((resolve) => setTimeout(resolve, FAR_WAREHOUSE_MS))
  if (sku === STALE_SKU) {
    // The warehouse feed is down: record the failure, then answer from the last known stock.
    tracer.startActiveSpan('warehouse lookup', (span) => {
      span.recordException(new WarehouseUnavailableError(`warehouse feed for ${sku} is down; answering from the last known stock`))
      span.setStatus({ code: SpanStatusCode.ERROR })
      span.end()
    })
  }
  const stock = await stockOf(c.env.STOCK_CACHE, sku)
  return stock ? c.json(stock) : c.json({ error: 'unknown sku' }, 404)
})

// Every 30 minutes (wrangler.toml [triggers]): count the SKUs that run low, on a traced cron span.
const checkStock = instrumentScheduled(
  () => {
    const low = Object.values(STOCK).filter((s) => s.available < 10).map((s) => s.sku)
    trace.getActiveSpan()?.setAttribute('app.stock.low_skus', low)
  },
  telemetryOptions,
)

export default { fetch: app.fetch, scheduled: checkStock }

// The Durable Object that orders reserve stock in (one per SKU, by RPC), and the entrypoint the
// gateway calls by RPC: each call a span in the caller's trace (wrangler.toml names the classes).
export const StockReservations = instrumentDurableObject(StockReservation, telemetryOptions)
export const StockApi = instrumentEntrypoint(StockLookup, telemetryOptions)
