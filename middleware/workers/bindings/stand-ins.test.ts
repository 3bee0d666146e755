// Workers AI and Vectorize have no local implementation in Miniflare (both need a remote proxy), so
// their tables are tested here against the narrowest stand-in: classes with the methods and result
// shapes workerd's `Ai` and `VectorizeIndexImpl` have (their `fetch`-backed JS wrappers), checked
// through instrumentEnv's duck typing as a real env would be.
import { SpanKind, context, trace } from '@opentelemetry/api'
import { describe, expect, it } from 'vitest'
import { registerTelemetry, telemetry } from '../../runtime/telemetry.ts'
import { instrumentEnv } from './env.ts'

// These tests run outside a handler, so nothing has registered the providers with the API yet.
registerTelemetry()

class Ai {
  async fetch(): Promise<Response> {
    return new Response(null)
  }
  async run(model: string, inputs: { prompt: string }) {
    if (model === 'missing') throw Object.assign(new Error('InferenceUpstreamError: model not found'), { name: 'InferenceUpstreamError' })
    return { response: `echo ${inputs.prompt}` }
  }
  gateway() {
    return {}
  }
}

class VectorizeIndex {
  async query(_vector: number[], options?: { topK?: number }) {
    return { count: 2, matches: [{ id: 'a', score: 1 }, { id: 'b', score: 0.5 }].slice(0, options?.topK ?? 5) }
  }
  async queryById(id: string, options?: { topK?: number }) {
    return this.query([], { ...options, topK: id === 'a' ? 1 : options?.topK })
  }
  async insert(vectors: unknown[]) {
    return { mutationId: `m${vectors.length}` }
  }
  async upsert(vectors: unknown[]) {
    return { mutationId: `m${vectors.length}` }
  }
  async getByIds(ids: string[]) {
    return ids.map((id) => ({ id, values: [1, 2] }))
  }
  async deleteByIds(ids: string[]) {
    return { mutationId: `d${ids.length}` }
  }
  async describe() {
    return { dimensions: 2 }
  }
}

async function traced<T>(fn: () => Promise<T>) {
  const span = telemetry.own.tracer.startSpan('server', { kind: SpanKind.SERVER })
  const before = telemetry.spans.length
  let result: T | Error
  try {
    result = await context.with(trace.setSpan(context.active(), span), fn)
  } catch (error) {
    result = error as Error
  }
  span.end()
  return { result, spans: telemetry.spans.slice(before).filter((s) => s !== (span as unknown)) }
}

describe('Workers AI and Vectorize, against stand-ins of their workerd classes', () => {
  it('ai_run: one CLIENT span with the model, never the inputs or the answer; failures marked', async () => {
    const env = instrumentEnv({ AI: new Ai() })
    const { result, spans } = await traced(() => env.AI.run('@cf/meta/llama-3.1-8b-instruct', { prompt: 'my secret' }))
    expect(result).toEqual({ response: 'echo my secret' })
    const [span] = spans.filter((s) => s.name === 'ai_run')
    expect(span.kind).toBe(SpanKind.CLIENT)
    expect(span.attributes).toEqual({
      'db.system.name': 'cloudflare-workers-ai',
      'db.operation.name': 'run',
      'db.namespace': 'AI',
      'cloudflare.binding.type': 'AI',
      'cloudflare.binding.name': 'AI',
      'gen_ai.request.model': '@cf/meta/llama-3.1-8b-instruct',
    })
    expect(JSON.stringify(spans)).not.toContain('secret')
    const failed = await traced(() => env.AI.run('missing', { prompt: 'x' }))
    expect((failed.result as Error).name).toBe('InferenceUpstreamError')
    expect(failed.spans.find((s) => s.name === 'ai_run')?.attributes['error.type']).toBe('InferenceUpstreamError')
  })

  it('vectorize_*: query, queryById, insert, upsert, getByIds, deleteByIds as CLIENT spans with returned rows', async () => {
    const index = new VectorizeIndex()
    const env = instrumentEnv({ INDEX: index })
    const { result, spans } = await traced(async () => [
      await env.INDEX.query([0.1, 0.2], { topK: 1 }),
      await env.INDEX.queryById('a'),
      await env.INDEX.insert([{ id: 'c', values: [1, 2] }]),
      await env.INDEX.upsert([{ id: 'c', values: [1, 2] }]),
      await env.INDEX.getByIds(['a', 'b']),
      await env.INDEX.deleteByIds(['c']),
      await env.INDEX.describe(),
    ])
    expect(result).toEqual([
      await index.query([0.1, 0.2], { topK: 1 }),
      await index.queryById('a'),
      await index.insert([{}]),
      await index.upsert([{}]),
      await index.getByIds(['a', 'b']),
      await index.deleteByIds(['c']),
      await index.describe(),
    ])
    expect(spans.filter((s) => s.name !== 'server').map((s) => [s.name, s.attributes['db.response.returned_rows']])).toEqual([
      ['vectorize_query', 1],
      ['vectorize_queryById', 1],
      ['vectorize_insert', undefined],
      ['vectorize_upsert', undefined],
      ['vectorize_getByIds', 2],
      ['vectorize_deleteByIds', undefined],
    ])
    expect(spans.find((s) => s.name === 'vectorize_query')?.attributes).toMatchObject({ 'db.system.name': 'cloudflare-vectorize', 'db.namespace': 'INDEX' })
  })
})
