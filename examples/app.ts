// The one small Hono app every runtime example serves: a greeting, a route that calls another
// service (DOWNSTREAM_URL, else the app itself) with traced fetch, and a failing route.
import { Hono } from 'hono'
import { otelAnywhere } from 'edge-otel'

/** The app, traced by edge-otel. */
export function createApp(env: { DOWNSTREAM_URL?: string }): Hono {
  const app = new Hono()
  app.use(otelAnywhere({ serviceName: 'runtime-example' }))
  app.get('/hello/:name', (c) => c.text(`Hello ${c.req.param('name')}`))
  app.get('/chain', async (c) => {
    const response = await fetch(new URL('/hello/downstream', env.DOWNSTREAM_URL ?? c.req.url))
    return c.json({ downstream: response.status, text: await response.text() })
  })
  app.get('/fail', () => {
    throw new Error('failed on purpose')
  })
  return app
}
