// Cloudflare's vitest integration for the example functions: each function's tests run inside
// workerd with the function as the project's main worker, configured by its wrangler.toml, and the
// functions it calls as auxiliary workers, bundled as test/functions.ts bundles them for Miniflare.
import { resolve } from 'node:path'
import { cloudflareTest, readD1Migrations } from '@cloudflare/vitest-plugin'
import type { TestProjectInlineConfiguration } from 'vitest/config'
import { bundle, exampleFunctions } from '../functions.ts'

const ROOT = resolve(import.meta.dirname, '../..')

/** An auxiliary worker from its wrangler.toml, in the integration's (Miniflare v4) option shape. */
async function auxiliaryWorker(name: string) {
  const spec = exampleFunctions().find((f) => f.name === name)
  if (!spec) throw new Error(`no example function named ${name}`)
  // Whatever else the spec carries (bindings named as Miniflare names them) goes along as it is.
  const { entry, vars, services, d1Migrations, kvSeed, ...rest } = spec
  return {
    ...rest,
    modules: [{ type: 'ESModule' as const, path: resolve(ROOT, `.miniflare/${name}.mjs`), contents: await bundle(entry) }],
    bindings: vars,
    serviceBindings: services,
  }
}

/**
 * A vitest project for one example function: its tests (functions/<name>/*.test.ts) run in workerd
 * with the function as main worker (`exports.default`), and `auxiliary` functions behind its service
 * bindings; `moreTests` are other files to run there.
 */
export function functionProject(name: string, configPath: string, auxiliary: string[] = [], moreTests: string[] = []): TestProjectInlineConfiguration {
  return {
    plugins: [
      cloudflareTest(async () => ({
        wrangler: { configPath: resolve(ROOT, configPath) },
        miniflare: { ...(await ordersDatabase(name, auxiliary)), workers: await Promise.all(auxiliary.map(auxiliaryWorker)) },
      })),
    ],
    test: { name, include: [`functions/${name}/*.test.ts`, ...moreTests], setupFiles: [resolve(ROOT, 'test/kit/apply-migrations.ts')] },
  }
}

/**
 * Where orders runs (as the main worker or behind it), its D1 database must hold its migrations, as
 * `npm run dev` applies them: the project gets them as `TEST_MIGRATIONS` (Cloudflare's
 * `readD1Migrations`), and test/kit/apply-migrations.ts applies them before the tests. A main worker
 * other than orders binds the same database (by its id) as `ORDERS_DB` to reach it.
 */
async function ordersDatabase(name: string, auxiliary: string[]) {
  if (name !== 'orders' && !auxiliary.includes('orders')) return {}
  const orders = exampleFunctions().find((f) => f.name === 'orders')!
  const migrations = await readD1Migrations(orders.d1Migrations!.DB)
  const d1Databases = name === 'orders' ? undefined : { ORDERS_DB: orders.d1Databases!.DB }
  return { bindings: { TEST_MIGRATIONS: migrations }, ...(d1Databases && { d1Databases }) }
}
