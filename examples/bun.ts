// `npm run example:bun`: the example app on Bun.serve, at 127.0.0.1:${PORT:-8788}.
import { createApp } from './app.ts'

const port = Number(process.env.PORT ?? 8788)
const app = createApp({ DOWNSTREAM_URL: process.env.DOWNSTREAM_URL })
const server = Bun.serve({ hostname: '127.0.0.1', port, fetch: app.fetch })
console.log(`listening on http://127.0.0.1:${server.port}`)
