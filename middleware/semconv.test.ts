// The library writes semantic-convention names as string literals, so the bundler keeps no table of
// constants (0.35 KiB gzip). This keeps every such literal honest against @opentelemetry/semantic-conventions.
import { readFileSync, readdirSync } from 'node:fs'
import * as stable from '@opentelemetry/semantic-conventions'
import * as incubating from '@opentelemetry/semantic-conventions/incubating'
import { expect, it } from 'vitest'

const NAMESPACES = 'http|url|server|client|network|error|exception|faas|cloud|service|telemetry|otel|messaging|user_agent|code'
const LITERAL = new RegExp(`'((?:${NAMESPACES})\\.[a-z0-9_.]+)'`, 'g')

/** Names the OpenTelemetry specification defines outside the semantic-conventions registry. */
const SPEC_ONLY = new Set([
  // Metrics SDK, cardinality limits: the overflow series carries `otel.metric.overflow=true`.
  'otel.metric.overflow',
])

const dir = new URL('.', import.meta.url)
const sources = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))

it('writes only names from the semantic conventions', () => {
  const known = new Set(Object.values({ ...stable, ...incubating } as Record<string, unknown>).filter((v) => typeof v === 'string'))
  const used = new Map<string, string>()
  for (const file of sources) {
    for (const [, name] of readFileSync(new URL(file, dir), 'utf8').matchAll(LITERAL)) used.set(name, file)
  }
  expect(used.size).toBeGreaterThan(40)
  const unknown = [...used].filter(([name]) => !known.has(name) && !SPEC_ONLY.has(name)).map(([name, file]) => `${file}: ${name}`)
  expect(unknown).toEqual([])
})

it('no longer imports the constants at runtime', () => {
  for (const file of sources) expect(readFileSync(new URL(file, dir), 'utf8')).not.toMatch(/from '@opentelemetry\/semantic-conventions/)
})
