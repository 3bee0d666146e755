// `npx edge-otel-viewer` as a user of the package runs it: npm pack of middleware/, installed into an
// empty project (no dev dependencies of this repository, no peers), started by npx with the system's
// Node where there is one (20 on these machines), fed an OTLP export, and read back over HTTP.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { TYPES } from '../middleware/testing/decode.ts'
import { run } from './user-project.ts'

const ROOT = resolve(import.meta.dirname, '..')
/** The machine's own Node and npx (Node 20 here), as a user's shell has them; else this test's Node. */
const SYSTEM_BIN = existsSync('/usr/bin/node') && existsSync('/usr/bin/npx') ? '/usr/bin' : undefined

let dir: string
let viewer: ChildProcess | undefined

function freePort(): Promise<number> {
  return new Promise((done) => {
    const server = createServer()
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number }
      server.close(() => done(port))
    })
  })
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-otel-viewer-'))
  const pack = await run('npm', ['pack', '--pack-destination', dir], join(ROOT, 'middleware'))
  if (pack.code !== 0) throw new Error(`npm pack failed:\n${pack.output}`)
  const tarball = (await readdir(dir)).find((f) => f.endsWith('.tgz'))!
  await writeFile(join(dir, 'package.json'), '{ "name": "any-project", "private": true }\n')
  // No peers: the viewer must run on what the package itself ships.
  const install = await run('npm', ['install', '--no-audit', '--no-fund', '--legacy-peer-deps', `./${tarball}`], dir)
  if (install.code !== 0) throw new Error(`npm install failed:\n${install.output}`)
}, 180_000)

afterAll(async () => {
  if (viewer?.pid) {
    try {
      process.kill(-viewer.pid, 'SIGTERM')
    } catch {}
  }
  if (dir) await rm(dir, { recursive: true, force: true })
})

describe('npx edge-otel-viewer, from the packed package', () => {
  it('is in the package as its bin, apart from the library build', () => {
    const installed = join(dir, 'node_modules/edge-otel')
    expect(JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8')).bin).toEqual({ 'edge-otel-viewer': './dist/viewer.js' })
    const library = readFileSync(join(installed, 'dist/index.js'), 'utf8')
    for (const mark of ['text/event-stream', 'edge-otel-viewer', 'ExportTraceServiceRequest']) expect(library).not.toContain(mark)
  })

  it('starts, takes an OTLP/HTTP protobuf export, and serves the trace list, the page files and the trace', async () => {
    const port = await freePort()
    const nodeVersion = execFileSync(SYSTEM_BIN ? `${SYSTEM_BIN}/node` : process.execPath, ['--version'], { encoding: 'utf8' }).trim()
    let output = ''
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('npm_')))
    viewer = spawn(SYSTEM_BIN ? `${SYSTEM_BIN}/npx` : 'npx', ['--no-install', 'edge-otel-viewer', '--port', String(port), '--max-traces', '50'], {
      cwd: dir,
      detached: true,
      env: { ...base, PATH: SYSTEM_BIN ? `${SYSTEM_BIN}:${process.env.PATH}` : process.env.PATH },
    })
    viewer.stdout!.on('data', (d) => (output += d))
    viewer.stderr!.on('data', (d) => (output += d))
    const url = `http://127.0.0.1:${port}`
    await expect.poll(() => output, { timeout: 30_000 }).toContain(`send telemetry here: OTEL_EXPORTER_OTLP_ENDPOINT=${url}`)
    expect(output, `on Node ${nodeVersion}`).toContain('keeps the last 50 traces in memory')

    const traceId = '5b8efff798038103d269b633813fc60c'
    const now = BigInt(Date.now()) * 1_000_000n
    const body = TYPES.traces
      .encode(
        TYPES.traces.fromObject({
          resourceSpans: [
            {
              resource: { attributes: [{ key: 'service.name', value: { stringValue: 'any-project' } }] },
              scopeSpans: [{ spans: [{ traceId: Buffer.from(traceId, 'hex'), spanId: Buffer.from('eee19b7ec3c1b174', 'hex'), name: 'GET /', kind: 2, startTimeUnixNano: String(now), endTimeUnixNano: String(now + 7_000_000n) }] }],
            },
          ],
        }),
      )
      .finish()
    const exported = await fetch(`${url}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body })
    expect(exported.status).toBe(200)

    const page = await fetch(`${url}/`)
    expect(await page.text()).toContain('<script type="module" src="/assets/app.js"></script>')
    for (const file of ['app.js', 'list.js', 'trace.js', 'metrics.js', 'style.css']) expect((await fetch(`${url}/assets/${file}`)).status).toBe(200)
    const list = (await (await fetch(`${url}/api/traces`)).json()) as { traces: Array<{ traceId: string; rootName: string; durationMs: number; services: string[] }> }
    expect(list.traces).toMatchObject([{ traceId, rootName: 'GET /', durationMs: 7, services: ['any-project'] }])
    await expect.poll(() => output, { timeout: 10_000 }).toMatch(new RegExp(`^trace GET /  any-project  1 span  7\\.0 ms  OK  ${url}/traces/${traceId}$`, 'm'))
  }, 60_000)
})
