// `npm run example:node`: the example app on Node with @hono/node-server, at 127.0.0.1:${PORT:-8788}.
import { serve } from '@hono/node-server'
import { createApp } from './app.ts'

const port = Number(process.env.PORT ?? 8788)
const app = createApp({ DOWNSTREAM_URL: process.env.DOWNSTREAM_URL })
serve({ fetch: app.fetch, hostname: '127.0.0.1', port }, (info) => console.log(`listening on http://127.0.0.1:${info.port}`))
