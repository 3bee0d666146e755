// The newcomer's first command, run for real: `npm run dev` starts wrangler dev with the three
// functions and the local receiver, and a request to the gateway prints one trace.
import { type ChildProcess, spawn } from 'node:child_process'
import { createServer } from 'node:net'
import { resolve } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type Receiver, startReceiver } from '../middleware/testing/receiver.ts'

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
  it('serves the gateway, prints one line for the trace across the three functions, and serves it in the viewer', async () => {
    const port = await freePort()
    const viewerPort = await freePort()
    const dev = startDev({ RECEIVER_PORT: String(viewerPort), OTEL_EXPORTER_OTLP_ENDPOINT: '' }, port)
    await dev.ready
    expect(dev.output()).toContain(`[dev] trace viewer on http://127.0.0.1:${viewerPort}/`)
    const response = await fetch(`http://127.0.0.1:${port}/orders/7`)
    expect(response.status).toBe(200)
    expect(await response.json()).toMatchObject({ id: 7, inStock: true })
    const line = /^trace GET \/orders\/:id  gateway, orders, inventory  9 spans  [\d.]+ ms  OK  (http:\/\/127\.0\.0\.1:(\d+)\/traces\/([0-9a-f]{32}))$/m
    await waitForOutput(dev.output, line)
    const [, page, linkPort, traceId] = line.exec(dev.output())!
    expect(Number(linkPort)).toBe(viewerPort)

    // The line links to the trace's page, and the viewer holds the trace the line sums up.
    const html = await fetch(page)
    expect(html.status).toBe(200)
    expect(await html.text()).toContain('<script type="module" src="/assets/app.js"></script>')
    const trace = (await (await fetch(`http://127.0.0.1:${viewerPort}/api/traces/${traceId}`)).json()) as { spans: Array<{ service: string }> }
    // A fresh shop: orders reads D1, inventory misses its stock cache, reads the catalogue and fills it.
    expect(trace.spans.map((s) => s.service).sort()).toEqual(['gateway', 'gateway', 'inventory', 'inventory', 'inventory', 'orders', 'orders', 'orders', 'orders'])
    const metrics = async () => ((await (await fetch(`http://127.0.0.1:${viewerPort}/api/metrics`)).json()) as { series: Array<{ service: string; route: string; total: { count: number } }> }).series
    await expect.poll(async () => (await metrics()).find((s) => s.service === 'gateway' && s.route === '/orders/:id')?.total.count, { timeout: 15_000 }).toBe(1)

    // One line for the trace: none per span, none per metric point.
    const lines = dev.output().split('\n')
    expect(lines.filter((l) => l.startsWith('trace '))).toEqual([line.exec(dev.output())![0]])
    expect(lines.filter((l) => /^metric |SERVER|CLIENT/.test(l))).toEqual([])
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
