// The example app as a Netlify Edge Function (Deno): hono/netlify's handle passes Netlify's context,
// whose waitUntil otelAnywhere uses for the export.
import { handle } from 'hono/netlify'
import { createApp } from './app.ts'

export default handle(createApp({ DOWNSTREAM_URL: Deno.env.get('DOWNSTREAM_URL') }))

export const config = { path: '/*' }
