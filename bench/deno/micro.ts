// A focused in-process check of edge-otel's CPU per request on Deno: the bench app's route called
// through app.fetch in a loop (no sockets), bare or with otelAnywhere (EDGE_OTEL=1), exporting to
// OTEL_EXPORTER_OTLP_ENDPOINT when it is set. Prints CPU µs per request for each of ROUNDS rounds.
import { Hono } from 'hono'
import { otelAnywhere } from 'edge-otel'
import { cpuUsage } from 'node:process'

declare const Deno: { env: { get(name: string): string | undefined } }

const ROUNDS = Number(Deno.env.get('ROUNDS') ?? 7)
const REQUESTS = Number(Deno.env.get('REQUESTS') ?? 20_000)
const CONCURRENCY = 8

const app = new Hono()
if (Deno.env.get('EDGE_OTEL') === '1') app.use(otelAnywhere({ serviceName: 'bench' }))
app.get('/hello/:param', (c) => c.text(`Hello ${c.req.param('param')}`))

// Deno.serve hands each request a fresh ServeHandlerInfo (Hono's c.env).
const info = () => ({ remoteAddr: { transport: 'tcp', hostname: '127.0.0.1', port: 40000 }, completed: Promise.resolve() })
const headers = { host: '127.0.0.1:18801', 'user-agent': 'wrk' }

async function client(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    const response = await app.fetch(new Request('http://127.0.0.1:18801/hello/world', { headers }), info())
    await response.text()
    // Lets timers (the batched export) run, as a server's event loop would between requests.
    if (i % 16 === 15) await new Promise((resolve) => setTimeout(resolve, 0))
  }
}

const perRequest: number[] = []
for (let round = 0; round < ROUNDS; round++) {
  const before = cpuUsage()
  await Promise.all(Array.from({ length: CONCURRENCY }, () => client(REQUESTS / CONCURRENCY)))
  await new Promise((resolve) => setTimeout(resolve, 150))
  const used = cpuUsage(before)
  perRequest.push((used.user + used.system) / REQUESTS)
}
console.log(perRequest.map((us) => us.toFixed(1)).join(' '), 'µs CPU per request')
