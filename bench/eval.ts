// Script evaluation time, a cold-start proxy: compile and run a bundle's top level in a fresh
// V8 context each time, with a unique source so no compile cache helps. workerd's clock is frozen
// while code runs, so this is measured in Node's V8 instead.
import { AsyncLocalStorage } from 'node:async_hooks'
import vm from 'node:vm'

function freshContext(): vm.Context {
  const noop = () => {}
  const sandbox: Record<string, unknown> = {
    console: { log: noop, warn: noop, error: noop, info: noop, debug: noop },
    fetch,
    Request,
    Response,
    Headers,
    URL,
    URLSearchParams,
    AbortController,
    AbortSignal,
    ReadableStream,
    WritableStream,
    TransformStream,
    TextEncoder,
    TextDecoder,
    Blob,
    FormData,
    crypto,
    performance,
    setTimeout,
    clearTimeout,
    setInterval,
    clearInterval,
    queueMicrotask,
    structuredClone,
    Buffer,
    process: { env: {}, version: 'v22.0.0', versions: {} },
    navigator: { userAgent: 'Cloudflare-Workers' },
    caches: { default: { match: async () => undefined, put: async () => {} }, open: async () => ({}) },
    addEventListener: noop,
  }
  sandbox.globalThis = sandbox
  sandbox.self = sandbox
  return vm.createContext(sandbox)
}

const nodeModules: Record<string, unknown> = {
  'node:async_hooks': { AsyncLocalStorage },
  // workerd's module, with the binding a variant reads at startup (edge-otel-sdk.ts: its exporters' URL)
  'cloudflare:workers': { env: { RECEIVER_URL: 'http://127.0.0.1:4318' } },
}

/** Median milliseconds to compile and evaluate `cjs` over `runs` fresh contexts. */
export function evaluationMs(cjs: string, runs = 25): number {
  const times: number[] = []
  for (let i = 0; i < runs; i++) {
    const context = freshContext()
    const source = `(function (module, exports, require) {${cjs}\n})//${i}-${Math.random()}`
    const start = performance.now()
    try {
      const fn = new vm.Script(source).runInContext(context)
      const module = { exports: {} }
      fn(module, module.exports, (name: string) => nodeModules[name] ?? {})
    } catch (error) {
      throw new Error(`evaluating the bundle failed: ${String(error).slice(0, 200)}`)
    }
    times.push(performance.now() - start)
  }
  times.sort((a, b) => a - b)
  return times[Math.floor(times.length / 2)]
}
