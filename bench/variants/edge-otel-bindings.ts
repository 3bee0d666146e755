// edge-otel, traces and metrics, on an app that makes three KV reads and one D1 query per request:
// each is a CLIENT span and a db.client.operation.duration point.
import { Hono } from 'hono'
import { otel } from 'edge-otel'
import { type BindingEnv, routeBindingCalls } from './binding-calls.ts'

const app = new Hono<BindingEnv>()
app.use(otel({ serviceName: 'bench' }))
routeBindingCalls(app)
export default app
