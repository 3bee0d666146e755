// edge-otel with every signal on: traces, metrics, and a log record per request (the same line the
// logging reference writes), with console capture. Head sampling is the default, parentbased_always_on.
import { Hono } from 'hono'
import { captureConsole, log, otel } from 'edge-otel'

captureConsole()
const app = new Hono()
app.use(otel({ serviceName: 'bench' }))
app.get('/hello/:param', (c) => {
  log.info('greeting', { 'app.param': c.req.param('param') })
  return c.text(`Hello ${c.req.param('param')}`)
})
export default app
