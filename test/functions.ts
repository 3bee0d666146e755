// Runs the example functions in workerd through Miniflare, configured from their wrangler.toml
// files, and bundled the way `wrangler dev` bundles them.
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { Miniflare, convertV4MiniflareOptions } from 'miniflare'
import { parse } from 'smol-toml'
import { readFileSync, readdirSync } from 'node:fs'
import { type Receiver, startReceiver } from '../middleware/testing/receiver.ts'
import { STOCK } from '../shared/catalog.ts'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')

/** The conditions `npm run dev` passes to wrangler (WRANGLER_BUILD_CONDITIONS). */
export const BUILD_CONDITIONS = ['workerd', 'worker', 'browser', 'module']

export const FUNCTION_CONFIGS = [
  'wrangler.toml',
  'functions/orders/wrangler.toml',
  'functions/inventory/wrangler.toml',
  'functions/fulfillment/wrangler.toml',
]

interface WranglerConfig {
  name: string
  main: string
  compatibility_date: string
  compatibility_flags?: string[]
  vars?: Record<string, string>
  services?: Array<{ binding: string; service: string; entrypoint?: string }>
  kv_namespaces?: Array<{ binding: string; id: string }>
  d1_databases?: Array<{ binding: string; database_name: string; database_id: string; migrations_dir?: string }>
  r2_buckets?: Array<{ binding: string; bucket_name: string }>
  durable_objects?: { bindings?: Array<{ name: string; class_name: string; script_name?: string }> }
  migrations?: Array<{ new_sqlite_classes?: string[] }>
  queues?: {
    producers?: Array<{ binding: string; queue: string }>
    consumers?: Array<{ queue: string; max_batch_size?: number; max_batch_timeout?: number; max_retries?: number; dead_letter_queue?: string; retry_delay?: number }>
  }
}

const bundles = new Map<string, Promise<string>>()

/** Bundles a worker entry like wrangler does: ESM, workerd conditions, node: builtins left to nodejs_compat. */
export function bundle(entry: string): Promise<string> {
  let result = bundles.get(entry)
  if (!result) {
    result = build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      format: 'esm',
      platform: 'neutral',
      target: 'es2022',
      conditions: BUILD_CONDITIONS,
      mainFields: ['module', 'main'],
      external: ['node:*', 'cloudflare:*'],
      logLevel: 'silent',
    }).then((r) => r.outputFiles[0].text)
    bundles.set(entry, result)
  }
  return result
}

export function readWranglerConfig(path: string): WranglerConfig & { entry: string } {
  const file = resolve(ROOT, path)
  const config = parse(readFileSync(file, 'utf8')) as unknown as WranglerConfig
  return { ...config, entry: resolve(dirname(file), config.main) }
}

export interface WorkerSpec {
  name: string
  entry: string
  compatibilityDate: string
  compatibilityFlags: string[]
  vars: Record<string, string>
  services: Record<string, string | { name: string; entrypoint: string }>
  durableObjects?: Record<string, { className: string; scriptName?: string; useSQLite?: boolean }>
  queueProducers?: Record<string, { queueName: string }>
  queueConsumers?: Record<string, { maxBatchSize?: number; maxBatchTimeout?: number; maxRetries?: number; deadLetterQueue?: string; retryDelay?: number }>
  /** KV namespaces, D1 databases and R2 buckets by binding name (in memory, one per id or name). */
  kvNamespaces?: Record<string, string>
  d1Databases?: Record<string, string>
  r2Buckets?: Record<string, string>
  analyticsEngineDatasets?: Record<string, { dataset: string }>
  /** D1 migrations folders (absolute) by binding name, applied in file order when the workers start. */
  d1Migrations?: Record<string, string>
  /** KV entries put before the workers serve, by binding name. */
  kvSeed?: Record<string, Record<string, string>>
}

/**
 * The tests start with inventory's stock cache warm (every SKU cached, as in a shop that has been
 * running), so one GET /orders/:id has one KV span; test/functions.test.ts evicts a SKU for the miss path.
 */
const WARM_STOCK_CACHE = { STOCK_CACHE: Object.fromEntries(Object.values(STOCK).map((s) => [`stock:${s.sku}`, JSON.stringify(s)])) }

/** A test worker of `test/fixtures/<file>` named `name`, with `nodejs_compat` and no bindings of its own. */
export function fixtureWorker(name: string, file: string): WorkerSpec {
  return { name, entry: resolve(ROOT, 'test/fixtures', file), compatibilityDate: '2026-08-01', compatibilityFlags: ['nodejs_compat'], vars: {}, services: {} }
}

/** The three example functions as their wrangler.toml files describe them. */
export function exampleFunctions(): WorkerSpec[] {
  return FUNCTION_CONFIGS.map((path) => {
    const c = readWranglerConfig(path)
    return {
      name: c.name,
      entry: c.entry,
      compatibilityDate: c.compatibility_date,
      compatibilityFlags: c.compatibility_flags ?? [],
      vars: c.vars ?? {},
      services: Object.fromEntries((c.services ?? []).map((s) => [s.binding, s.entrypoint ? { name: s.service, entrypoint: s.entrypoint } : s.service])),
      durableObjects: Object.fromEntries(
        (c.durable_objects?.bindings ?? []).map((d) => [
          d.name,
          { className: d.class_name, scriptName: d.script_name, useSQLite: c.migrations?.some((m) => m.new_sqlite_classes?.includes(d.class_name)) },
        ]),
      ),
      queueProducers: Object.fromEntries((c.queues?.producers ?? []).map((p) => [p.binding, { queueName: p.queue }])),
      queueConsumers: Object.fromEntries(
        (c.queues?.consumers ?? []).map((q) => [
          q.queue,
          { maxBatchSize: q.max_batch_size, maxBatchTimeout: q.max_batch_timeout, maxRetries: q.max_retries, deadLetterQueue: q.dead_letter_queue, retryDelay: q.retry_delay },
        ]),
      ),
      kvNamespaces: Object.fromEntries((c.kv_namespaces ?? []).map((k) => [k.binding, k.id])),
      d1Databases: Object.fromEntries((c.d1_databases ?? []).map((d) => [d.binding, d.database_id])),
      r2Buckets: Object.fromEntries((c.r2_buckets ?? []).map((r) => [r.binding, r.bucket_name])),
      kvSeed: c.name === 'inventory' ? WARM_STOCK_CACHE : undefined,
      d1Migrations: Object.fromEntries(
        (c.d1_databases ?? []).map((d) => [d.binding, resolve(dirname(resolve(ROOT, path)), d.migrations_dir ?? 'migrations')]),
      ),
    }
  })
}

export interface RunningFunctions {
  mf: Miniflare
  /** Sends a request to the first worker (the entry function). */
  fetch(path: string, init?: RequestInit): Promise<Response>
  /** Lines the workers logged to the console. */
  logs: string[]
  dispose(): Promise<void>
}

/**
 * Applies a D1 migrations folder as `wrangler d1 migrations apply` does: each `.sql` file in name
 * order, its statements in one batch.
 */
export async function applyMigrations(db: D1Database, dir: string): Promise<void> {
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.sql')).sort()) {
    const sql = readFileSync(resolve(dir, file), 'utf8').replace(/^\s*--.*$/gm, '')
    const statements = sql.split(/;\s*$/m).map((s) => s.trim()).filter(Boolean)
    await db.batch(statements.map((s) => db.prepare(s)))
  }
}

/** Starts workers in one workerd process; `vars` override every worker's [vars]. */
export async function startFunctions(specs: WorkerSpec[], vars: Record<string, string> = {}): Promise<RunningFunctions> {
  const logs: string[] = []
  const workers = await Promise.all(
    specs.map(async (spec) => ({
      name: spec.name,
      modules: [{ type: 'ESModule' as const, path: resolve(ROOT, `.miniflare/${spec.name}.mjs`), contents: await bundle(spec.entry) }],
      compatibilityDate: spec.compatibilityDate,
      compatibilityFlags: spec.compatibilityFlags,
      bindings: { ...spec.vars, ...vars },
      serviceBindings: spec.services,
      durableObjects: spec.durableObjects,
      queueProducers: spec.queueProducers,
      queueConsumers: spec.queueConsumers,
      kvNamespaces: spec.kvNamespaces,
      d1Databases: spec.d1Databases,
      r2Buckets: spec.r2Buckets,
      analyticsEngineDatasets: spec.analyticsEngineDatasets,
    })),
  )
  // Miniflare 5 (the version wrangler 4 runs) still takes the v4 option shape through this converter.
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      workers,
      host: '127.0.0.1',
      handleStructuredLogs: (log) => void logs.push(log.message),
    }),
  )
  await mf.ready
  for (const spec of specs) {
    for (const [binding, dir] of Object.entries(spec.d1Migrations ?? {})) await applyMigrations(await mf.getD1Database(binding, spec.name), dir)
    for (const [binding, entries] of Object.entries(spec.kvSeed ?? {})) {
      const kv = await mf.getKVNamespace(binding, spec.name)
      for (const [key, value] of Object.entries(entries)) await kv.put(key, value)
    }
  }
  return {
    mf,
    logs,
    fetch: async (path, init) => {
      const response = await mf.dispatchFetch(`http://127.0.0.1:8787${path}`, init as never)
      return response as unknown as Response
    },
    dispose: () => mf.dispose(),
  }
}

/** A real OTLP receiver on 127.0.0.1 and the example functions (plus `extra` workers) exporting to it, with `vars`. */
export async function startExamplesWithReceiver(
  vars: Record<string, string> = {},
  extra: WorkerSpec[] = [],
): Promise<{ receiver: Receiver; functions: RunningFunctions; dispose(): Promise<void> }> {
  const receiver = await startReceiver()
  const functions = await startFunctions([...exampleFunctions(), ...extra], { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, ...vars })
  return {
    receiver,
    functions,
    dispose: async () => {
      await functions.dispose()
      await receiver.close()
    },
  }
}
