// edge-otel: traces and request metrics, exported to OTEL_EXPORTER_OTLP_ENDPOINT.
import { Hono } from 'hono'
import { otel } from 'edge-otel'

const app = new Hono()
app.use(otel({ serviceName: 'bench' }))
app.get('/hello/:param', (c) => c.text(`Hello ${c.req.param('param')}`))
export default app
