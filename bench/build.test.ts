// The bundle goals, held in `npm test`: a bundle's size is exact on any machine, unlike the bench's timings.
import { resolve } from 'node:path'
import { describe, expect, it } from 'vitest'
import { ROOT, bundleVariant } from './build.ts'
import { BUNDLE_BUDGETS_KIB } from './goals.ts'

/** A string each feature's code carries, so a bundle cannot meet its budget by leaving the feature out. */
const MARKS = {
  traces: 'http.server.request.duration',
  logs: 'trace_id',
  tail: 'edge-otel-hand-back',
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
