// @microlabs/otel-cf-workers, traces only (it has no metrics), exporting OTLP/JSON per request.
import { instrument } from '@microlabs/otel-cf-workers'
import { Hono } from 'hono'

type Env = { RECEIVER_URL: string }

const app = new Hono<{ Bindings: Env }>()
app.get('/hello/:param', (c) => c.text(`Hello ${c.req.param('param')}`))

const config = (env: Env) => ({
  exporter: { url: `${env.RECEIVER_URL}/v1/traces` },
  service: { name: 'bench' },
})

export default instrument(app as never, config as never)
