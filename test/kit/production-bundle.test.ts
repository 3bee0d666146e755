// edge-otel/testing stays out of production: the workers that import `edge-otel` (the bench's
// default worker and its every-feature one, bundled as wrangler bundles them) carry none of the
// kit, and the package's main file none of it either. The kit's own file is the control: it has every mark.
import { readFile } from 'node:fs/promises'
import { resolve } from 'node:path'
import { beforeAll, describe, expect, it } from 'vitest'
import { ROOT, bundleVariant } from '../../bench/build.ts'
import { DIST, TESTING_DIST, buildLibrary, buildTesting } from '../../middleware/build.ts'

/** Strings only the kit's code holds: its matchers, its messages, its capture, its protobuf decoder. */
const KIT_MARKS = ['toContainSpan', 'What arrived', 'edge-otel:testing', 'ExportTraceServiceRequest', 'opentelemetry.proto.collector']

const marksIn = (code: string) => KIT_MARKS.filter((mark) => code.includes(mark))

beforeAll(async () => {
  await Promise.all([buildLibrary(), buildTesting()])
})

describe('edge-otel/testing in production bundles', () => {
  it('is all in dist/testing.js (the control)', async () => {
    expect(marksIn(await readFile(TESTING_DIST, 'utf8'))).toEqual(KIT_MARKS)
  })

  it('imports only edge-otel, vitest and (when a collector starts) Node modules: no OpenTelemetry SDK', async () => {
    const code = await readFile(TESTING_DIST, 'utf8')
    const imports = [...code.matchAll(/\bfrom\s*"([^"]+)"|\bimport\(\s*"([^"]+)"\s*\)/g)].map((m) => m[1] ?? m[2])
    expect([...new Set(imports)].sort()).toEqual(['edge-otel', 'node:http', 'node:zlib', 'vitest'])
    expect(code).not.toMatch(/@opentelemetry\/sdk/)
  })

  it('is nowhere in dist/index.js, the main entry', async () => {
    expect(marksIn(await readFile(DIST, 'utf8'))).toEqual([])
  })

  for (const variant of ['variants/edge-otel.ts', 'variants/edge-otel-all.ts']) {
    it(`is nowhere in the bench's ${variant} worker, nor is the runtime handle the kit uses`, async () => {
      const { esm } = await bundleVariant(resolve(ROOT, 'bench', variant))
      expect(marksIn(esm)).toEqual([])
      expect(esm).not.toContain('internalTelemetry')
    })
  }
})
