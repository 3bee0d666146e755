// Reference for the all-on row: bare Hono writing the same JSON log line per request with console.log,
// no telemetry. The difference to this row is what edge-otel's logs add over logging itself.
import { Hono } from 'hono'

const app = new Hono()
app.get('/hello/:param', (c) => {
  console.log(JSON.stringify({ timestamp: new Date().toISOString(), severity: 'INFO', message: 'greeting', 'app.param': c.req.param('param') }))
  return c.text(`Hello ${c.req.param('param')}`)
})
export default app
