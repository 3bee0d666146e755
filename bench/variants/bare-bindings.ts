// The baseline for the bindings row: three KV reads and one D1 query per request, no telemetry.
import { Hono } from 'hono'
import { type BindingEnv, routeBindingCalls } from './binding-calls.ts'

const app = new Hono<BindingEnv>()
routeBindingCalls(app)
export default app
