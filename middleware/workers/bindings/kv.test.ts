// The KV table against Miniflare's real KV namespace, called from Node (test/bindings.test.ts runs
// it inside workerd, end to end): what each call records, and what it never does.
import { SpanKind } from '@opentelemetry/api'
import type { Miniflare } from 'miniflare'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { FinishedSpan } from '../../sdk/trace/tracer.ts'
import { bindingsOnly, callInRequest, configureTelemetry } from '../../../test/binding-calls.ts'
import { KV } from './kv.ts'

let mf: Miniflare
let kv: KVNamespace

beforeAll(async () => {
  mf = bindingsOnly({ kvNamespaces: ['CACHE'] })
  kv = (await mf.getKVNamespace('CACHE')) as unknown as KVNamespace
  await kv.put('sku:1', JSON.stringify({ stock: 7, secret: 'value-secret' }), { metadata: { owner: 'metadata-secret' } })
  await kv.put('sku:2', 'not json value-secret')
}, 60_000)

afterAll(async () => {
  await mf?.dispose()
})

beforeEach(() => configureTelemetry())

/** Runs `fn` inside a request span; hands back its result (or error) and the spans it ended. */
const inRequest = <T>(fn: (traced: KVNamespace) => Promise<T>) => callInRequest(kv, KV, 'CACHE', fn)

const rows = (spans: FinishedSpan[]) => spans.map((s) => [s.name, s.attributes['db.response.returned_rows']])

describe('KV', () => {
  it('counts the keys found by single, bulk and metadata reads, and the type asked for', async () => {
    const { result, spans } = await inRequest(async (cache) => [
      await cache.get('sku:1', 'json'),
      await cache.get('sku:none'),
      (await cache.get(['sku:1', 'sku:2', 'sku:none'], { type: 'text' })).size,
      (await cache.getWithMetadata('sku:1')).metadata,
      (await cache.getWithMetadata('sku:none')).value,
    ])
    expect(result).toEqual([{ stock: 7, secret: 'value-secret' }, null, 3, { owner: 'metadata-secret' }, null])
    expect(rows(spans)).toEqual([
      ['kv_get', 1],
      ['kv_get', 0],
      ['kv_get', 2],
      ['kv_getWithMetadata', 1],
      ['kv_getWithMetadata', 0],
    ])
    expect(spans.map((s) => [s.attributes['cloudflare.kv.query.keys.count'], s.attributes['cloudflare.kv.query.type']])).toEqual([
      [1, 'json'],
      [1, undefined],
      [3, 'text'],
      [1, undefined],
      [1, undefined],
    ])
    expect(spans[0].kind).toBe(SpanKind.CLIENT)
    expect(spans[0].attributes).toMatchObject({ 'db.system.name': 'cloudflare-kv', 'db.operation.name': 'get', 'db.namespace': 'CACHE', 'cloudflare.binding.type': 'KV' })
  })

  it('records a stored value that is no JSON by its error type alone, and hands the SyntaxError to the caller', async () => {
    const { result, spans } = await inRequest((cache) => cache.get('sku:2', 'json'))
    expect(result).toBeInstanceOf(SyntaxError)
    expect(spans[0].attributes['error.type']).toBe('SyntaxError')
    expect(spans[0].status.code).toBe(2)
    expect(spans[0].events).toEqual([])
    expect(JSON.stringify(spans)).not.toContain('value-secret')
  })

  it('never records values or metadata, nor keys and prefixes unless asked', async () => {
    const { spans } = await inRequest(async (cache) => {
      await cache.put('sku:3', 'value-secret', { metadata: { owner: 'metadata-secret' } })
      await cache.get('sku:3')
      await cache.list({ prefix: 'sku:' })
      await cache.delete('sku:3')
    })
    expect(rows(spans)).toEqual([
      ['kv_put', undefined],
      ['kv_get', 1],
      ['kv_list', 3],
      ['kv_delete', undefined],
    ])
    const recorded = JSON.stringify(spans)
    for (const secret of ['value-secret', 'metadata-secret', 'sku:']) expect(recorded).not.toContain(secret)
  })

  it('records keys, joined, and the list prefix when recordBindingKeys is on', async () => {
    configureTelemetry(true)
    const { spans } = await inRequest(async (cache) => {
      await cache.get(['sku:1', 'sku:2'])
      await cache.put('sku:4', 'value-secret')
      await cache.list({ prefix: 'sku:' })
      await cache.list()
    })
    expect(spans.map((s) => [s.name, s.attributes['cloudflare.kv.query.keys'] ?? s.attributes['cloudflare.kv.query.prefix']])).toEqual([
      ['kv_get', 'sku:1, sku:2'],
      ['kv_put', 'sku:4'],
      ['kv_list', 'sku:'],
      ['kv_list', undefined],
    ])
    expect(JSON.stringify(spans)).not.toContain('value-secret')
  })

  it('hands KV’s own rejection of bad input to the caller unchanged, even where the table cannot read the arguments', async () => {
    for (const key of ['', Symbol('key')] as unknown as string[]) {
      const bare = await (async () => kv.get(key))().catch((error: Error) => error)
      const { result, spans } = await inRequest((cache) => cache.get(key))
      expect(bare).toBeInstanceOf(Error)
      expect((result as Error).message).toBe((bare as Error).message)
      expect(spans).toHaveLength(1)
      expect(spans[0].status.code).toBe(2)
    }
  })
})
