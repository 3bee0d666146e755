// Child processes of the real stack: started on 127.0.0.1, logged to a file, stopped by PID.
import { type ChildProcess, spawn } from 'node:child_process'
import { createWriteStream, readFileSync } from 'node:fs'
import { createServer } from 'node:net'

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer()
    server.on('error', fail)
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => done(port))
    })
  })
}

export interface Service {
  name: string
  pid: number
  /** What the process printed so far (stdout and stderr). */
  log(): string
  /** SIGKILL, then wait for the exit: a crash, not a shutdown. */
  kill(): Promise<void>
  /** SIGTERM, then SIGKILL after 5 s. */
  stop(): Promise<void>
}

const running = new Set<ChildProcess>()
process.on('exit', () => {
  for (const child of running) if (child.pid && child.exitCode === null) process.kill(child.pid, 'SIGKILL')
})

function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((done) => child.once('exit', () => done()))
}

/** Starts `command` with `env` added, its output appended to `logFile`. */
export function startService(name: string, command: string, args: string[], env: Record<string, string>, logFile: string): Service {
  const out = createWriteStream(logFile, { flags: 'a' })
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] })
  child.stdout!.pipe(out, { end: false })
  child.stderr!.pipe(out, { end: false })
  running.add(child)
  child.once('exit', () => running.delete(child))
  if (!child.pid) throw new Error(`${name}: could not start ${command}`)
  const pid = child.pid
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) process.kill(pid, signal)
    await exited(child)
  }
  return {
    name,
    pid,
    log: () => readFileSync(logFile, 'utf8'),
    kill: () => end('SIGKILL'),
    stop: async () => {
      const timer = setTimeout(() => child.exitCode === null && child.signalCode === null && process.kill(pid, 'SIGKILL'), 5000)
      await end('SIGTERM')
      clearTimeout(timer)
    },
  }
}

/** Polls `url` until it answers 2xx, or throws with the service's log after `timeoutMs`. */
export async function waitForHttp(service: Service, url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) })
      await response.arrayBuffer()
      if (response.ok) return
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${service.name} (pid ${service.pid}) did not answer ${url} within ${timeoutMs} ms:\n${service.log().slice(-4000)}`)
    await new Promise((r) => setTimeout(r, 200))
  }
}
