// `npm run example:supabase-style`: the Deno example (examples/deno.ts) run as Supabase's edge runtime
// runs a function, as far as plain Deno can imitate it: a global `EdgeRuntime` whose `waitUntil` keeps
// work going after the response (each call is logged, so a test can see it was used). Not imitated:
// supabase/edge-runtime itself (a Deno-based server run by the Supabase CLI in Docker, not on this
// machine), which routes /functions/v1/<name> to the function, serves it in a worker with its own
// limits, and decides what Deno.serve's port means.
let waitUntilCalls = 0
Object.assign(globalThis, {
  EdgeRuntime: {
    waitUntil(promise: Promise<unknown>) {
      console.log(`EdgeRuntime.waitUntil ${++waitUntilCalls}`)
      return promise.catch(() => {})
    },
  },
})

await import('../deno.ts')
