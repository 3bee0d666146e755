// edge-otel with everything on: traces, metrics, a log record per request, console capture, and
// tail sampling (the bench sets OTEL_TRACES_SAMPLER=parentbased_traceidratio, ARG 0.1).
import { Hono } from 'hono'
import { captureConsole, log, otel, tailSampling } from 'edge-otel'

captureConsole()
const app = new Hono()
app.use(otel({ serviceName: 'bench', tailSampling: tailSampling() }))
app.get('/hello/:param', (c) => {
  log.info('greeting', { 'app.param': c.req.param('param') })
  return c.text(`Hello ${c.req.param('param')}`)
})
export default app
