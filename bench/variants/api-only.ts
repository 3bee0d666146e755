// A reference, not a contender: bare Hono plus the @opentelemetry/api singletons that any
// OpenTelemetry instrumentation brings, with nothing recorded. It shows the floor for script eval.
import { context, metrics, propagation, trace } from '@opentelemetry/api'
import { Hono } from 'hono'

const app = new Hono()
app.get('/hello/:param', (c) => c.text(`Hello ${c.req.param('param')}`))
export const api = { context, metrics, propagation, trace }
export default app
