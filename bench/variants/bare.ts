// The baseline: the same app with no telemetry.
import { Hono } from 'hono'

const app = new Hono()
app.get('/hello/:param', (c) => c.text(`Hello ${c.req.param('param')}`))
export default app
