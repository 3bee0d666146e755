// The load: wrk for a measured window, and a short warm-up from this process before each window so
// wrk's connections meet a server that has just served requests.
import { execFileSync, spawn } from 'node:child_process'

export const CONNECTIONS = 8

/** What one wrk run served. */
export interface WrkResult {
  requests: number
  /** wrk's own measure of the run's length. */
  seconds: number
  /** Non-2xx answers plus socket errors. */
  errors: number
}

/** Reads wrk's summary: `N requests in 2.00s`, non-2xx answers and socket errors. */
export function parseWrk(out: string): WrkResult {
  const run = /(\d+) requests in ([\d.]+)(ms|s|m)\b/.exec(out)
  if (!run) throw new Error(`could not read wrk's output:\n${out}`)
  const unit = { ms: 0.001, s: 1, m: 60 }[run[3] as 'ms' | 's' | 'm']
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)?.slice(1) ?? []
  const errors = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) + socket.reduce((n, e) => n + Number(e), 0)
  return { requests: Number(run[1]), seconds: Number(run[2]) * unit, errors }
}

/** Runs wrk (one thread, CONNECTIONS connections) on `url` for `seconds` whole seconds, without blocking this process. */
export async function wrk(url: string, seconds: number): Promise<WrkResult> {
  const out = await new Promise<string>((resolveRun, reject) => {
    const child = spawn('wrk', ['-t1', `-c${CONNECTIONS}`, `-d${seconds}s`, url])
    let text = ''
    child.stdout.on('data', (d) => (text += d))
    child.on('error', reject)
    child.on('exit', (code) => (code === 0 ? resolveRun(text) : reject(new Error(`wrk exited with ${code}`))))
  })
  return parseWrk(out)
}

/** Exits with a message naming the fix when wrk is not installed. */
export function requireWrk(): void {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' })
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      console.error('npm run bench needs wrk: apt-get install wrk (Debian/Ubuntu) or brew install wrk.')
      process.exit(1)
    }
  }
}

/** Sends requests on CONNECTIONS concurrent loops for `ms` milliseconds; returns how many were answered. */
export async function warmUp(url: string, ms: number): Promise<number> {
  const deadline = performance.now() + ms
  let answered = 0
  const loop = async () => {
    while (performance.now() < deadline) {
      const response = await fetch(url)
      await response.arrayBuffer()
      answered++
    }
  }
  await Promise.all(Array.from({ length: CONNECTIONS }, loop))
  return answered
}
