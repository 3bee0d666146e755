// The bench app on Deno.serve: bench/variants/bare.ts's route, traced by edge-otel when EDGE_OTEL=1,
// bare otherwise (Deno's own OpenTelemetry is switched on from outside, with OTEL_DENO=true).
import { Hono } from 'hono'
import { otelAnywhere } from 'edge-otel'

const app = new Hono()
if (Deno.env.get('EDGE_OTEL') === '1') app.use(otelAnywhere({ serviceName: 'bench' }))
app.get('/hello/:param', (c) => c.text(`Hello ${c.req.param('param')}`))

const port = Number(Deno.env.get('PORT'))
Deno.serve({ hostname: '127.0.0.1', port, onListen: () => console.log('listening') }, app.fetch)
