// Vectorize has no local implementation (Miniflare proxies it to Cloudflare), so the table is called
// through instrumentBinding on an object with workerd's `VectorizeIndexImpl` methods and answer shapes.
import { SpanKind, context, trace } from '@opentelemetry/api'
import { beforeEach, describe, expect, it } from 'vitest'
import { telemetry } from '../../runtime/telemetry.ts'
import { configureTelemetry } from '../../../test/binding-calls.ts'
import type { FinishedSpan } from '../../sdk/trace/tracer.ts'
import { bindingBase, instrumentBinding } from './client.ts'
import { VECTORIZE } from './vectorize.ts'

beforeEach(() => configureTelemetry(true))

const stored = [
  { id: 'id-secret-a', values: [0.25, 0.5], metadata: { text: 'metadata-secret' } },
  { id: 'id-secret-b', values: [0.75, 1], metadata: { text: 'metadata-secret' } },
]

/** workerd's `VectorizeIndexImpl` (V2): `{ count, matches }` from queries, `{ mutationId }` from writes. */
class VectorizeIndex {
  async query(_vector: number[], options: { topK?: number; returnValues?: boolean; returnMetadata?: 'all' | 'none' } = {}) {
    const matches = stored.slice(0, options.topK ?? 5).map((v) => ({
      id: v.id,
      score: 0.9,
      ...(options.returnValues ? { values: v.values } : {}),
      ...(options.returnMetadata === 'all' ? { metadata: v.metadata } : {}),
    }))
    return { count: matches.length, matches }
  }
  async queryById(_id: string, options?: { topK?: number }) {
    return this.query([], options)
  }
  async getByIds(ids: string[]) {
    return stored.filter((v) => ids.includes(v.id))
  }
  async upsert(vectors: unknown[]) {
    return { mutationId: `mutation-${vectors.length}` }
  }
  async deleteByIds(ids: string[]) {
    return { mutationId: `mutation-${ids.length}` }
  }
  async describe() {
    return { vectorCount: 2, dimensions: 2 }
  }
}

async function inRequest<T>(index: object, fn: (index: VectorizeIndex) => Promise<T>): Promise<{ result: T; spans: FinishedSpan[] }> {
  const traced = instrumentBinding(index as VectorizeIndex, VECTORIZE, bindingBase('DOCS'))
  const server = telemetry.own.tracer.startSpan('GET /search', { kind: SpanKind.SERVER })
  const before = telemetry.spans.length
  const result = await context.with(trace.setSpan(context.active(), server), () => fn(traced))
  server.end()
  return { result, spans: telemetry.spans.slice(before).filter((s) => s.name.startsWith('vectorize_')) }
}

describe('VECTORIZE', () => {
  it('counts the matches and vectors returned, and never records vectors, ids or metadata, even with keys recorded', async () => {
    const { result, spans } = await inRequest(new VectorizeIndex(), async (index) => [
      (await index.query([0.1, 0.2], { topK: 1, returnValues: true, returnMetadata: 'all' })).matches[0].metadata,
      (await index.queryById('id-secret-a', { topK: 2 })).count,
      (await index.getByIds(['id-secret-a', 'id-secret-b', 'id-secret-c'])).length,
      (await index.upsert(stored)).mutationId,
      (await index.deleteByIds(['id-secret-a'])).mutationId,
      (await index.describe()).vectorCount,
    ])
    expect(result).toEqual([{ text: 'metadata-secret' }, 2, 2, 'mutation-2', 'mutation-1', 2])
    expect(spans.map((s) => [s.name, s.attributes['db.response.returned_rows']])).toEqual([
      ['vectorize_query', 1],
      ['vectorize_queryById', 2],
      ['vectorize_getByIds', 2],
      ['vectorize_upsert', undefined],
      ['vectorize_deleteByIds', undefined],
    ])
    expect(spans[0].attributes).toMatchObject({ 'db.system.name': 'cloudflare-vectorize', 'db.namespace': 'DOCS', 'cloudflare.binding.type': 'VECTORIZE' })
    const recorded = JSON.stringify(spans)
    for (const secret of ['id-secret', 'metadata-secret', 'mutation-', '0.25']) expect(recorded).not.toContain(secret)
  })

  it('hands back an answer of another shape untouched, recording no row count and no failure', async () => {
    const legacy = { query: async () => ({ count: 0 }) }
    const { result, spans } = await inRequest(legacy, (index) => index.query([0.1, 0.2]))
    expect(result).toEqual({ count: 0 })
    expect(spans.map((s) => [s.name, s.attributes['db.response.returned_rows'], s.status.code])).toEqual([['vectorize_query', undefined, 0]])
  })
})
