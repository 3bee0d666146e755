// Runs one bundled worker in its own workerd process (through Miniflare), and reads that
// process's CPU time from /proc, so each variant's server CPU is measured on its own.
import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { Miniflare, convertV4MiniflareOptions } from 'miniflare'

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK']).toString().trim()) || 100

function childPids(): Set<number> {
  const out = execFileSync('ps', ['-o', 'pid=', '--ppid', String(process.pid)]).toString()
  return new Set(out.split('\n').map((s) => Number(s.trim())).filter(Boolean))
}

export interface RunningWorker {
  url: string
  /** Seconds of CPU (user + system) the worker's workerd process has used so far. */
  cpuSeconds(): number
  dispose(): Promise<void>
}

export async function startWorker(name: string, code: string, bindings: Record<string, string>, compatibilityDate: string): Promise<RunningWorker> {
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
        },
      ],
      host: '127.0.0.1',
      port: 0,
      handleStructuredLogs: () => {},
    }),
  )
  const url = (await mf.ready).toString().replace(/\/$/, '')
  const spawned = [...childPids()].filter((pid) => !before.has(pid))
  const pid = spawned.find((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('workerd'))
  if (!pid) throw new Error(`could not find the workerd process for ${name}`)
  return {
    url,
    cpuSeconds() {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
      return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND
    },
    dispose: () => mf.dispose(),
  }
}
