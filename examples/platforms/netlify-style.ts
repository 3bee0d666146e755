// `npm run example:netlify-style`: examples/netlify.ts served as Netlify's edge runtime serves an edge
// function, as far as plain Deno can imitate it: a global `Netlify` with `env`, and the function called
// per request with a context object whose `waitUntil` keeps the work going after the response (here
// the process lives on anyway; each call is logged, so a test can see it was used). Not imitated:
// Netlify's edge bundler (eszip), its isolate limits (50 ms CPU), its routing, and what its waitUntil
// does at the end of an invocation.
const env = {
  get: (name: string) => Deno.env.get(name),
  has: (name: string) => Deno.env.has(name),
  toObject: () => Deno.env.toObject(),
}
Object.assign(globalThis, { Netlify: { env, context: null } })

const { default: edgeFunction } = await import('../netlify.ts')
const port = Number(Deno.env.get('PORT') ?? 8788)
let waitUntilCalls = 0

Deno.serve({ hostname: '127.0.0.1', port, onListen: ({ port }) => console.log(`listening on http://127.0.0.1:${port} (Netlify-style)`) }, (request, info) => {
  const url = new URL(request.url)
  const context = {
    ip: info.remoteAddr.hostname,
    requestId: crypto.randomUUID(),
    url,
    params: {},
    geo: {},
    site: { id: 'local', name: 'local', url: url.origin },
    deploy: { context: 'dev', id: 'local', published: false },
    account: { id: 'local' },
    server: { region: 'local' },
    waitUntil(promise: Promise<unknown>) {
      console.log(`context.waitUntil ${++waitUntilCalls}`)
      promise.catch(() => {})
    },
  }
  return edgeFunction(request, context as never)
})
