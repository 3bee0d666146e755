// The newcomer's first command, run for real: `npm run dev` starts wrangler dev with the three
// functions and the local receiver, and a request to the gateway prints one trace.
import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { resolve } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type Receiver, startReceiver } from '../infra/receiver/server.ts'

const ROOT = resolve(import.meta.dirname, '..')
let child: ChildProcess | undefined
let receiver: Receiver | undefined

afterEach(async () => {
  if (child?.pid) {
    try {
      process.kill(-child.pid, 'SIGTERM')
    } catch {}
    await new Promise((r) => child!.once('exit', r))
  }
  child = undefined
  await receiver?.close()
  receiver = undefined
})

function freePort(): Promise<number> {
  return new Promise((resolvePort) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => resolvePort(port))
    })
  })
}

function startDev(env: Record<string, string>, port: number): { output: () => string; ready: Promise<void> } {
  let output = ''
  child = spawn(process.execPath, ['infra/dev.ts', '--port', String(port)], {
    cwd: ROOT,
    detached: true,
    env: { ...process.env, ...env, WRANGLER_SEND_METRICS: 'false', CI: 'true' },
  })
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  const ready = new Promise<void>((resolveReady, reject) => {
    const deadline = setTimeout(() => reject(new Error(`wrangler dev did not start:\n${output}`)), 90_000)
    const check = setInterval(() => {
      if (output.includes('Ready on')) {
        clearInterval(check)
        clearTimeout(deadline)
        resolveReady()
      }
    }, 100)
    child!.once('exit', (code) => reject(new Error(`npm run dev exited with ${code}:\n${output}`)))
  })
  return { output: () => output, ready }
}

async function waitForOutput(output: () => string, pattern: RegExp, ms = 15_000) {
  const deadline = Date.now() + ms
  while (!pattern.test(output())) {
    if (Date.now() > deadline) throw new Error(`no ${pattern} in output:\n${output()}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

describe('npm run dev', () => {
  it('serves the gateway and prints one trace across the three functions from the embedded receiver', async () => {
    const port = await freePort()
    const dev = startDev({ RECEIVER_PORT: String(await freePort()), OTEL_EXPORTER_OTLP_ENDPOINT: '' }, port)
    await dev.ready
    const response = await fetch(`http://127.0.0.1:${port}/orders/7`)
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ id: 7, inStock: true })
    await waitForOutput(dev.output, /inventory +SERVER +GET \/stock\/:sku 200/)
    await waitForOutput(dev.output, /gateway +SERVER +GET \/orders\/:id 200/)
    await waitForOutput(dev.output, /metric +gateway +http\.server\.request\.duration\{.*http\.route=\/orders\/:id/)
    const traceIds = new Set([...dev.output().matchAll(/^trace ([0-9a-f]{12}) /gm)].map((m) => m[1]))
    expect(traceIds.size).toBe(1)
  }, 120_000)

  it('sends to OTEL_EXPORTER_OTLP_ENDPOINT from the shell, for all three functions', async () => {
    receiver = await startReceiver()
    const port = await freePort()
    const dev = startDev({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }, port)
    await dev.ready
    expect(dev.output()).toContain(`exporting to OTEL_EXPORTER_OTLP_ENDPOINT=${receiver.url}`)
    const response = await fetch(`http://127.0.0.1:${port}/orders/8`)
    expect(response.status).toBe(200)
    await receiver.waitFor(() => new Set(receiver!.spans.map((s) => s.resource['service.name'])).size === 3, 15_000, 'spans from all three')
    expect(new Set(receiver.spans.map((s) => s.traceId)).size).toBe(1)
  }, 120_000)
})
