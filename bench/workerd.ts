// Runs one bundled worker in its own workerd process (through Miniflare), pinned to one core, and
// reads that process's CPU time from /proc, so each variant's server CPU is measured on its own.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { Miniflare, convertV4MiniflareOptions } from 'miniflare'
import { pin, processCpuSeconds } from './machine.ts'

function childPids(): Set<number> {
  const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(process.pid)]).toString()
  return new Set(out.split('\n').map((s) => Number(s.trim())).filter(Boolean))
}

export interface RunningWorker {
  url: string
  /** The workerd process. */
  pid: number
  /** Seconds of CPU (user + system) the worker's workerd process has used so far. */
  cpuSeconds(): number
  dispose(): Promise<void>
}

/** In-memory KV namespaces and D1 databases for a worker, and what to put in them before it serves. */
export interface WorkerResources {
  kvNamespaces?: Record<string, string>
  d1Databases?: Record<string, string>
  seed?(mf: Miniflare, worker: string): Promise<void>
}

/** Starts `code` (an ES module worker) in a workerd process of its own, with all its threads on `core`. */
export async function startWorker(
  name: string,
  code: string,
  bindings: Record<string, string>,
  compatibilityDate: string,
  core: number,
  resources: WorkerResources = {},
): Promise<RunningWorker> {
  const before = childPids()
  const mf = new Miniflare(
    convertV4MiniflareOptions({
      workers: [
        {
          name,
          modules: [{ type: 'ESModule', path: `${process.cwd()}/.miniflare/bench-${name}.mjs`, contents: code }],
          compatibilityDate,
          compatibilityFlags: ['nodejs_compat'],
          bindings,
          kvNamespaces: resources.kvNamespaces,
          d1Databases: resources.d1Databases,
        },
      ],
      host: '127.0.0.1',
      port: 0,
      handleStructuredLogs: () => {},
    }),
  )
  const url = (await mf.ready).toString().replace(/\/$/, '')
  await resources.seed?.(mf, name)
  const spawned = [...childPids()].filter((pid) => !before.has(pid))
  const pid = spawned.find((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('workerd'))
  if (!pid) throw new Error(`could not find the workerd process for ${name}`)
  pin(pid, core)
  return { url, pid, cpuSeconds: () => processCpuSeconds(pid), dispose: () => mf.dispose() }
}
