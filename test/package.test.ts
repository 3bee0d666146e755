// The package as a new user meets it: packed, installed from the npm registry into a fresh Workers
// project (test/user-project.ts), type-checked, built by wrangler, and run in workerd; and into a fresh
// Node or Deno project without Cloudflare's types, type-checked by tsc and by deno check.
import { readFile, rm } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Miniflare, convertV4MiniflareOptions } from 'miniflare'
import { parse } from 'smol-toml'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type TestCollector, startTestCollector } from '../middleware/testing/index.ts'
import { NODE_PACKAGES, USER_NODE, createUserProject, denoCheck, hasDeno, typecheck, wrangler } from './user-project.ts'

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))

let dir: string

beforeAll(async () => {
  dir = await createUserProject()
}, 300_000)

afterAll(() => dir && rm(dir, { recursive: true, force: true }))

describe('npm pack of middleware/, installed into a fresh Workers project', () => {
  it('type-checks with TypeScript 5', async () => {
    const tsc = await typecheck(dir)
    expect(tsc.code, `tsc (TypeScript 5) reported:\n${tsc.output}`).toBe(0)
  }, 120_000)

  it("type-checks with the repository's TypeScript 7", async () => {
    const tsc = await typecheck(dir, join(ROOT, 'node_modules/typescript/bin/tsc'))
    expect(tsc.code, `tsc (TypeScript 7) reported:\n${tsc.output}`).toBe(0)
  }, 120_000)

  it('ships the test kit as its own entry, edge-otel/testing, with its types', async () => {
    const installed = join(dir, 'node_modules/edge-otel')
    const pkg = JSON.parse(await readFile(join(installed, 'package.json'), 'utf8')) as { exports: Record<string, { types: string; default: string }> }
    expect(pkg.exports['./testing']).toEqual({ types: './dist/testing.d.ts', default: './dist/testing.js' })
    expect(await readFile(join(installed, 'dist/testing.js'), 'utf8')).toContain('from"edge-otel"')
    expect(await readFile(join(installed, 'dist/testing.d.ts'), 'utf8')).toContain('export declare function collectTelemetry')
  })

  describe('built by wrangler deploy --dry-run, in workerd, exporting to a receiver', () => {
    let receiver: TestCollector | undefined
    let mf: Miniflare | undefined

    afterAll(async () => {
      await mf?.dispose()
      await receiver?.close()
    })

    it('builds, serves a request, and its SERVER span reaches the receiver', async () => {
      const build = await wrangler(dir, ['deploy', '--dry-run', '--outdir', 'out'])
      expect(build.code, `wrangler deploy --dry-run reported:\n${build.output}`).toBe(0)

      const config = parse(await readFile(join(dir, 'wrangler.toml'), 'utf8')) as { compatibility_date: string; compatibility_flags: string[] }
      receiver = await startTestCollector()
      mf = new Miniflare(
        convertV4MiniflareOptions({
          workers: [
            {
              name: 'user-worker',
              modules: true,
              scriptPath: join(dir, 'out/index.js'),
              // Module names are paths below this folder (workerd refuses `..`).
              modulesRoot: join(dir, 'out'),
              compatibilityDate: config.compatibility_date,
              compatibilityFlags: config.compatibility_flags,
              bindings: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'user-worker' },
            },
          ],
          host: '127.0.0.1',
        }),
      )
      const response = await mf.dispatchFetch('http://127.0.0.1:8787/hello/world')
      expect(await response.text()).toBe('Hello world')

      // The collector's waitFor rejects on a request it could not decode.
      const telemetry = await receiver.waitFor((t) => t.spans.length > 0 && t.metrics.length > 0, { timeout: 10_000 })
      const pkg = JSON.parse(await readFile(join(ROOT, 'middleware/package.json'), 'utf8')) as { version: string }
      expect(telemetry).toContainSpan({
        name: 'GET /hello/:name',
        kind: 'server',
        attributes: { 'http.route': '/hello/:name', 'http.response.status_code': 200 },
        resource: { 'service.name': 'user-worker', 'telemetry.sdk.name': 'edge-otel', 'telemetry.sdk.version': pkg.version },
      })
    }, 120_000)
  })
})

// Its declarations name only what they import, what they declare, and web standards (Request, Response,
// URL, RequestInit), never a Workers global such as ExecutionContext: no skipLibCheck here, so tsc and
// deno check read dist/*.d.ts as they read the user's own code.
describe('npm pack of middleware/, installed into a fresh Node and Deno project without the Workers types', () => {
  let nodeDir: string

  beforeAll(async () => {
    nodeDir = await createUserProject(USER_NODE, NODE_PACKAGES)
  }, 300_000)

  afterAll(() => nodeDir && rm(nodeDir, { recursive: true, force: true }))

  it('type-checks with TypeScript 5 (types: node, lib ES2022 and DOM)', async () => {
    const tsc = await typecheck(nodeDir)
    expect(tsc.code, `tsc (TypeScript 5) reported:\n${tsc.output}`).toBe(0)
  }, 120_000)

  it('type-checks with TypeScript 5 and Node\'s globals alone (lib ES2022, no DOM)', async () => {
    const tsc = await typecheck(nodeDir, undefined, 'tsconfig.no-dom.json')
    expect(tsc.code, `tsc (TypeScript 5, no DOM) reported:\n${tsc.output}`).toBe(0)
  }, 120_000)

  it("type-checks with the repository's TypeScript 7", async () => {
    const tsc = await typecheck(nodeDir, join(ROOT, 'node_modules/typescript/bin/tsc'))
    expect(tsc.code, `tsc (TypeScript 7) reported:\n${tsc.output}`).toBe(0)
  }, 120_000)

  it.skipIf(!hasDeno())('passes deno check --all, offline, with the packages from node_modules', async () => {
    const deno = await denoCheck(nodeDir, ['deno/main.ts', 'deno/sdk.ts'])
    expect(deno.code, `deno check reported:\n${deno.output}`).toBe(0)
    expect(deno.output).toContain('Check deno/main.ts')
  }, 120_000)
})
