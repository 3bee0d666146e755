// `npm run example:deno`: the example app on Deno.serve, at 127.0.0.1:${PORT:-8788}.
import { createApp } from './app.ts'

const port = Number(Deno.env.get('PORT') ?? 8788)
const app = createApp({ DOWNSTREAM_URL: Deno.env.get('DOWNSTREAM_URL') })
Deno.serve({ hostname: '127.0.0.1', port, onListen: ({ port }) => console.log(`listening on http://127.0.0.1:${port}`) }, app.fetch)
