// The bundle goals, held in `npm test`: a bundle's size is exact on any machine, unlike the bench's timings.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { USER_WORKER, wrangler } from '../test/user-project.ts'
import { ROOT, bundleVariant } from './build.ts'
import { BUNDLE_BUDGETS_KIB, WRANGLER_BUDGET_KIB } from './goals.ts'

/** A string each feature's code carries, so a bundle cannot meet its budget by leaving the feature out. */
const MARKS = {
  traces: 'http.server.request.duration',
  logs: 'trace_id',
  tail: 'edge-otel-hand-back',
  // edge-otel/sdk's bridge, which no variant below imports
  sdk: "span processor's",
}
const CONTENTS: Record<string, (keyof typeof MARKS)[]> = {
  'variants/edge-otel.ts': ['traces'],
  'variants/edge-otel-logs.ts': ['traces', 'logs'],
  'variants/edge-otel-all.ts': ['traces', 'logs', 'tail'],
}

describe('the bench variants stay in their bundle budgets (minified ESM, gzip, whole worker)', () => {
  for (const [entry, budget] of Object.entries(BUNDLE_BUDGETS_KIB)) {
    it(`${entry} ≤ ${budget} KiB`, async () => {
      const { esm, gzipBytes } = await bundleVariant(resolve(ROOT, 'bench', entry))
      for (const [feature, mark] of Object.entries(MARKS)) {
        expect(esm.includes(mark), `${feature} in ${entry}`).toBe(CONTENTS[entry].includes(feature as keyof typeof MARKS))
      }
      expect(gzipBytes / 1024).toBeLessThanOrEqual(budget)
    })
  }
})

describe('opt-in handlers tree-shake away', () => {
  // Strings only the receiving side's code carries: instrumentDurableObject, its storage, Workflows, email.
  const OPT_IN = ['durable_object_storage_', 'webSocketMessage', 'cloudflare.workflow.name', 'cloudflare.email.size']
  for (const entry of Object.keys(BUNDLE_BUDGETS_KIB)) {
    it(`${entry} bundles the RPC callers, and none of the opt-in handlers`, async () => {
      const { esm } = await bundleVariant(resolve(ROOT, 'bench', entry))
      expect(esm).toContain('__edgeOtelRpc')
      expect(OPT_IN.filter((mark) => esm.includes(mark))).toEqual([])
    })
  }
})

describe('the smallest traced worker as wrangler builds it for a user (deploy --dry-run --minify)', () => {
  it(`reports ≤ ${WRANGLER_BUDGET_KIB} KiB gzip`, async () => {
    // The fixture imports `edge-otel` as the workspace package, which resolves to the package build.
    const out = mkdtempSync(join(tmpdir(), 'edge-otel-wrangler-'))
    const build = await wrangler(USER_WORKER, ['deploy', '--dry-run', '--minify', '--outdir', out], join(ROOT, 'node_modules/wrangler/bin/wrangler.js'))
    expect(build.code, build.output).toBe(0)
    const bundle = readFileSync(join(out, 'index.js'), 'utf8')
    rmSync(out, { recursive: true })
    expect(bundle).toContain(MARKS.traces)
    const gzipKiB = Number(build.output.match(/gzip: ([\d.]+) KiB/)?.[1])
    expect(gzipKiB).toBeGreaterThan(0)
    expect(gzipKiB).toBeLessThanOrEqual(WRANGLER_BUDGET_KIB)
  }, 60_000)
})
