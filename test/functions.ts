// Runs the example functions in workerd through Miniflare, configured from their wrangler.toml
// files, and bundled the way `wrangler dev` bundles them.
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { Miniflare, convertV4MiniflareOptions } from 'miniflare'
import { parse } from 'smol-toml'
import { readFileSync } from 'node:fs'
import { type Receiver, startReceiver } from '../infra/receiver/server.ts'

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
