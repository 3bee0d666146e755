// Runs an example of examples/ as `npm run example:<runtime>` runs it (the script's own command, with
// node_modules/.bin first on PATH), in a process of its own that the test can signal, and a plain
// downstream server that records the trace context each call brings.
import { type ChildProcess, spawn } from 'node:child_process'
import { type IncomingHttpHeaders, createServer } from 'node:http'
import { readFileSync } from 'node:fs'
import { type AddressInfo, createServer as createNetServer } from 'node:net'
import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const SCRIPTS = (JSON.parse(readFileSync(resolve(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts

export const RUNTIMES = ['deno', 'bun', 'node'] as const
export type Runtime = (typeof RUNTIMES)[number]
/** The Deno example as platforms run it, imitated (examples/platforms/). */
export const PLATFORM_STYLES = ['netlify-style', 'supabase-style'] as const
export type Example = Runtime | (typeof PLATFORM_STYLES)[number]

/** A free port on loopback. */
export async function freePort(): Promise<number> {
  const server = createNetServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  await new Promise((r) => server.close(r))
  return port
}

export interface RunningExample {
  url: string
  process: ChildProcess
  /** What it wrote to stdout and stderr so far. */
  output(): string
  /** Resolves with how it ended: its exit code, or the signal that ended it. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>
  stop(): Promise<void>
}

/** Starts `npm run example:<runtime>`'s command with `env` on a free port, and waits until it listens. */
export async function startExample(runtime: Example, env: Record<string, string>): Promise<RunningExample> {
  const port = await freePort()
  // exec: the shell becomes the runtime, so that a signal reaches it as it would from a supervisor.
  const child = spawn('/bin/sh', ['-c', `exec ${SCRIPTS[`example:${runtime}`]}`], {
    cwd: ROOT,
    env: { ...process.env, PATH: `${resolve(ROOT, 'node_modules/.bin')}:${process.env.PATH}`, NO_COLOR: '1', ...env, PORT: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let output = ''
  child.stdout!.on('data', (d: Buffer) => (output += d))
  child.stderr!.on('data', (d: Buffer) => (output += d))
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })))
  const deadline = Date.now() + 30_000
  while (!output.includes('listening on')) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`example:${runtime} exited:\n${output}`)
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error(`example:${runtime} did not listen within 30 s:\n${output}`)
    }
    await new Promise((r) => setTimeout(r, 25))
  }
  return {
    url: `http://127.0.0.1:${port}`,
    process: child,
    output: () => output,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL')
      await exited
    },
  }
}

export interface Downstream {
  url: string
  port: number
  /** The headers of each call, in arrival order. */
  calls: IncomingHttpHeaders[]
  close(): Promise<void>
}

/** A second local service the example calls: answers after a short random wait, so concurrent calls interleave. */
export async function startDownstream(): Promise<Downstream> {
  const calls: IncomingHttpHeaders[] = []
  const server = createServer((req, res) => {
    calls.push(req.headers)
    setTimeout(() => res.end('Hello downstream'), Math.floor(Math.random() * 20))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    calls,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  }
}
