// Bundles a bench variant like `npm run dev` does (ESM, workerd conditions plus `module`), minified.
import { builtinModules } from 'node:module'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gzipSync } from 'node:zlib'
import { type Plugin, build } from 'esbuild'

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const CONDITIONS = ['workerd', 'worker', 'browser', 'module']

const BUILTINS = new Set(builtinModules)

/** Every variant uses the project's one copy of hono; Node builtins are left to nodejs_compat. */
const resolution: Plugin = {
  name: 'bench-resolution',
  setup(b) {
    b.onResolve({ filter: /^hono(\/.*)?$/ }, (args) =>
      args.pluginData === 'root' ? undefined : b.resolve(args.path, { resolveDir: ROOT, kind: args.kind, pluginData: 'root' }),
    )
    b.onResolve({ filter: /^[a-z_]+$/ }, (args) => (BUILTINS.has(args.path) ? { path: `node:${args.path}`, external: true } : undefined))
    b.onResolve({ filter: /^(node|cloudflare):/ }, (args) => ({ path: args.path, external: true }))
  },
}

export interface Bundle {
  /** Minified ESM, what workerd runs. */
  esm: string
  /** The same code as CommonJS, to time its evaluation in a fresh V8 context. */
  cjs: string
  gzipBytes: number
}

async function bundleAs(entry: string, format: 'esm' | 'cjs', define: Record<string, string>): Promise<string> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    minify: true,
    format,
    platform: 'neutral',
    target: 'es2022',
    conditions: CONDITIONS,
    mainFields: ['module', 'main'],
    define,
    plugins: [resolution],
    logLevel: 'error',
  })
  return result.outputFiles[0].text
}

/**
 * `edge-otel` resolves to the package build (`middleware/dist`), as it does for users: build it from the
 * current sources first (`buildLibrary()`; `npm test` does in its global setup).
 */
export async function bundleVariant(entry: string, define: Record<string, string> = {}): Promise<Bundle> {
  const esm = await bundleAs(entry, 'esm', define)
  const cjs = await bundleAs(entry, 'cjs', define)
  return { esm, cjs, gzipBytes: gzipSync(esm).length }
}
