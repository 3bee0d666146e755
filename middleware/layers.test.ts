// The library's layers, held by its import graph (type-only imports included): no cycles, and each
// layer imports only the layers below it, so span and metric code never depends on the exporter.
import { readdirSync } from 'node:fs'
import { join, relative } from 'node:path'
import { parseCircular, parseDependencyTree } from 'dpdm'
import { beforeAll, describe, expect, it } from 'vitest'

const LIBRARY = new URL('.', import.meta.url).pathname

/** What each layer may import besides itself, bottom up (README of docs/architecture.md). */
const MAY_IMPORT: Record<string, string[]> = {
  sdk: [],
  semconv: ['sdk'],
  exporter: ['sdk'],
  runtime: ['sdk', 'semconv', 'exporter'],
  workers: ['sdk', 'semconv', 'exporter', 'runtime'],
  hono: ['sdk', 'semconv', 'exporter', 'runtime', 'workers'],
  '.': ['sdk', 'semconv', 'exporter', 'runtime', 'workers', 'hono'],
  // edge-otel/testing: its own entry, which reaches the library only through the main one.
  testing: ['.'],
}

/** A module's layer: its top folder in middleware/ (dpdm names modules relative to it). */
const layerOf = (module: string) => (module.includes('/') ? module.split('/')[0] : '.')
const external = (module: string) => module.startsWith('..') || module.includes('node_modules')

const sources = (readdirSync(LIBRARY, { recursive: true }) as string[])
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts') && !f.startsWith('dist') && !f.startsWith('.types-') && f !== 'build.ts')
  .map((f) => join(LIBRARY, f))

let tree: Awaited<ReturnType<typeof parseDependencyTree>>

beforeAll(async () => {
  tree = await parseDependencyTree(sources, { context: LIBRARY, transform: false, skipDynamicImports: false })
})

describe('the library import graph', () => {
  it('reads every module', () => {
    expect(Object.keys(tree).filter((m) => !external(m))).toEqual(expect.arrayContaining(sources.map((f) => relative(LIBRARY, f))))
  })

  it('has no import cycles, type-only imports included', () => {
    expect(parseCircular(tree).map((cycle) => cycle.join(' -> '))).toEqual([])
  })

  it('points one way: each layer imports only the layers below it', () => {
    const wrong: string[] = []
    for (const [module, dependencies] of Object.entries(tree)) {
      if (external(module) || !dependencies) continue
      const from = layerOf(module)
      for (const { id } of dependencies) {
        if (!id || external(id)) continue
        const to = layerOf(id)
        if (to !== from && !MAY_IMPORT[from].includes(to)) wrong.push(`${module} (${from}) imports ${id} (${to})`)
      }
    }
    expect(Object.keys(tree).filter((m) => !external(m)).every((m) => layerOf(m) in MAY_IMPORT)).toBe(true)
    expect(wrong).toEqual([])
  })
})
