// What runtime and platform the library runs on, outside workerd: its name and version, its cloud,
// where its settings are, whether it offers a `waitUntil`, and how long a process lives.
import type { Attributes } from '@opentelemetry/api'
import { ATTR_CLOUD_PLATFORM, ATTR_CLOUD_PROVIDER, ATTR_PROCESS_RUNTIME_NAME, ATTR_PROCESS_RUNTIME_VERSION, CLOUD_PLATFORM_VALUE_AWS_LAMBDA, CLOUD_PROVIDER_VALUE_AWS } from '@opentelemetry/semantic-conventions/incubating'

/** Keeps the runtime alive until a promise settles. */
export type WaitUntil = (promise: Promise<unknown>) => void

/**
 * How the process that serves requests lives: `function` (the platform offers a `waitUntil`),
 * `server` (a long-lived process with none: Deno.serve, Bun.serve, Node), `lambda` (frozen when
 * the handler returns, so the export must finish first).
 */
export type Lifetime = 'function' | 'server' | 'lambda'

export interface Platform {
  /** `process.runtime.*` and, where known, `cloud.*`. */
  resource: Attributes
  /** The process's environment variables, where the settings are (empty where they cannot be read). */
  env: Record<string, string | undefined>
  lifetime: Lifetime
  /** The platform's own `waitUntil` for the request being served, given Hono's `c.env`. */
  waitUntil(env: unknown): WaitUntil | undefined
}

interface Globals {
  Deno?: { version?: { deno?: string }; env?: { toObject(): Record<string, string> }; permissions?: { querySync?(d: { name: string }): { state: string } } }
  Bun?: { version?: string }
  process?: { versions?: { node?: string }; env?: Record<string, string | undefined> }
  Netlify?: unknown
  EdgeRuntime?: unknown
  [key: symbol]: unknown
}

/** The symbol `@vercel/functions` reads its request context from (`waitUntil`, `headers`). */
export const VERCEL_REQUEST_CONTEXT = Symbol.for('@vercel/request-context')

function denoEnv(deno: NonNullable<Globals['Deno']>): Record<string, string> {
  try {
    // Asked first, so that a run without --allow-env gets no prompt.
    if (deno.permissions?.querySync?.({ name: 'env' }).state !== 'granted') return {}
    return deno.env?.toObject() ?? {}
  } catch {
    return {}
  }
}

/** Netlify passes `{ context }` as Hono's env (hono/netlify); Netlify's context has `waitUntil`. */
function netlifyWaitUntil(env: unknown): WaitUntil | undefined {
  const context = (env as { context?: { waitUntil?: WaitUntil } } | undefined)?.context
  return typeof context?.waitUntil === 'function' ? (p) => context.waitUntil!(p) : undefined
}

/** Supabase Edge Functions: a global `EdgeRuntime` object with `waitUntil` (Vercel's `EdgeRuntime` is a string). */
function supabaseWaitUntil(g: Globals): WaitUntil | undefined {
  const runtime = g.EdgeRuntime as { waitUntil?: WaitUntil } | undefined
  return typeof runtime === 'object' && typeof runtime?.waitUntil === 'function' ? (p) => runtime.waitUntil!(p) : undefined
}

/** Vercel (Edge and Node functions): the request context `@vercel/functions`' `waitUntil` reads. */
function vercelWaitUntil(g: Globals): WaitUntil | undefined {
  const context = (g[VERCEL_REQUEST_CONTEXT] as { get?: () => { waitUntil?: WaitUntil } | undefined } | undefined)?.get?.()
  return typeof context?.waitUntil === 'function' ? (p) => context.waitUntil!(p) : undefined
}

/**
 * Reads the runtime the library runs in from its globals. Deno and Bun also define
 * `process.versions.node`, so they are asked first.
 */
export function detectPlatform(g: Globals = globalThis as Globals): Platform {
  const resource: Attributes = {}
  const processEnv = g.process?.env ?? {}
  let env: Record<string, string | undefined> = processEnv
  if (g.Deno?.version?.deno) {
    resource[ATTR_PROCESS_RUNTIME_NAME] = 'deno'
    resource[ATTR_PROCESS_RUNTIME_VERSION] = g.Deno.version.deno
    env = denoEnv(g.Deno)
  } else if (g.Bun?.version) {
    resource[ATTR_PROCESS_RUNTIME_NAME] = 'bun'
    resource[ATTR_PROCESS_RUNTIME_VERSION] = g.Bun.version
  } else if (g.process?.versions?.node) {
    resource[ATTR_PROCESS_RUNTIME_NAME] = 'nodejs'
    resource[ATTR_PROCESS_RUNTIME_VERSION] = g.process.versions.node
  } else if (typeof g.EdgeRuntime === 'string') {
    resource[ATTR_PROCESS_RUNTIME_NAME] = g.EdgeRuntime
  }
  let lifetime: Lifetime = 'server'
  if (env.AWS_LAMBDA_FUNCTION_NAME) {
    resource[ATTR_CLOUD_PROVIDER] = CLOUD_PROVIDER_VALUE_AWS
    resource[ATTR_CLOUD_PLATFORM] = CLOUD_PLATFORM_VALUE_AWS_LAMBDA
    lifetime = 'lambda'
  } else if (g.Netlify !== undefined || supabaseWaitUntil(g) || g[VERCEL_REQUEST_CONTEXT] !== undefined || typeof g.EdgeRuntime === 'string') {
    lifetime = 'function'
  }
  return {
    resource,
    env,
    lifetime,
    waitUntil: (honoEnv) => netlifyWaitUntil(honoEnv) ?? supabaseWaitUntil(g) ?? vercelWaitUntil(g),
  }
}
