// The bench app on Deno.serve: bench/variants/bare.ts's route, traced by edge-otel when EDGE_OTEL=1,
// bare otherwise (Deno's own OpenTelemetry is switched on from outside, with OTEL_DENO=true).
import { Hono } from 'hono'
import { otelAnywhere } from 'edge-otel'

// Deno's global, as much of it as this file uses (the repository type-checks with Node's and Workers' types).
declare const Deno: {
  env: { get(name: string): string | undefined }
  serve(options: { hostname: string; port: number; onListen(): void }, handler: (request: Request) => Response | Promise<Response>): unknown
}

const app = new Hono()
if (Deno.env.get('EDGE_OTEL') === '1') app.use(otelAnywhere({ serviceName: 'bench' }))
app.get('/hello/:param', (c) => c.text(`Hello ${c.req.param('param')}`))

const port = Number(Deno.env.get('PORT'))
Deno.serve({ hostname: '127.0.0.1', port, onListen: () => console.log('listening') }, app.fetch)
