// Every binding kind Miniflare runs locally, called through otel() and without it in the same
// workerd: the spans and the duration histogram at a real OTLP receiver, and what user code sees.
import { resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ReceivedSpan } from '../middleware/testing/decode.ts'
import { type RunningFunctions, exampleFunctions, startFunctions } from './functions.ts'
import { useReceiver } from './receiver-setup.ts'
import { CLIENT, SERVER, STATUS_ERROR } from './trace-helpers.ts'

const DB_BOUNDARIES = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10]

const receiver = useReceiver({ beforeClear: (r) => r.idle() })
let worker: RunningFunctions

async function start(vars: Record<string, string> = {}) {
  return startFunctions(
    [
      {
        name: 'bindings',
        entry: resolve(import.meta.dirname, 'fixtures/bindings-worker.ts'),
        compatibilityDate: exampleFunctions()[0].compatibilityDate,
        compatibilityFlags: ['nodejs_compat'],
        vars: {},
        services: {},
        kvNamespaces: { KV: 'kv' },
        d1Databases: { DB: 'db' },
        r2Buckets: { BUCKET: 'bucket' },
        analyticsEngineDatasets: { EVENTS: { dataset: 'events' } },
      },
    ],
    { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, ...vars },
  )
}

beforeAll(async () => {
  worker = await start()
})

afterAll(() => worker?.dispose())

async function call(path: string): Promise<unknown> {
  const response = await worker.fetch(path)
  expect(response.status).toBe(200)
  return response.json()
}

/** Runs `route` bare and traced; returns the traced answer, the spans of its trace and its server span. */
async function compare(route: string, run: string) {
  const bare = await call(`/bare/${route}/${run}b`)
  const traced = await call(`/traced/${route}/${run}t`)
  // The same calls give the same answers, values and errors alike, with or without instrumentation.
  expect(JSON.stringify(traced).replaceAll(`${run}t`, run)).toBe(JSON.stringify(bare).replaceAll(`${run}b`, run))
  await receiver.waitFor(() => receiver.spans.some((s) => s.kind === SERVER), 10_000, 'the request span')
  const server = receiver.spans.find((s) => s.kind === SERVER)!
  await receiver.idle()
  const spans = receiver.spans.filter((s) => s.traceId === server.traceId && s.kind === CLIENT)
  expect(receiver.spans.every((s) => s.traceId === server.traceId)).toBe(true)
  for (const span of spans) expect(span.parentSpanId).toBe(server.spanId)
  return { traced, spans, server }
}

const named = (spans: ReceivedSpan[], name: string) => spans.filter((s) => s.name === name)

describe('binding calls in workerd through otel(), at a real OTLP receiver', () => {
  it('KV: kv_get, kv_getWithMetadata, kv_put, kv_list, kv_delete, with rows and no keys or values', async () => {
    const { traced, spans } = await compare('kv', 'k1')
    expect(traced).toMatchObject({ get: 'three apples', missing: null, withMetadata: { value: 'three apples', metadata: { owner: 'alice' } } })
    expect(spans.map((s) => s.name)).toEqual(['kv_put', 'kv_get', 'kv_get', 'kv_get', 'kv_getWithMetadata', 'kv_get', 'kv_list', 'kv_delete', 'kv_get'])
    const [put, hit, miss, json, withMetadata, bulk, list] = spans
    expect(put.attributes).toEqual({
      'db.system.name': 'cloudflare-kv',
      'db.operation.name': 'put',
      'db.namespace': 'KV',
      'cloudflare.binding.type': 'KV',
      'cloudflare.binding.name': 'KV',
      'cloudflare.kv.query.keys.count': 1,
    })
    expect(hit.attributes).toMatchObject({ 'db.operation.name': 'get', 'db.response.returned_rows': 1 })
    expect(miss.attributes['db.response.returned_rows']).toBe(0)
    // A value that is not JSON: the error is the user's, and the span says so, without its message (which quotes the value).
    expect(json.status).toEqual({ code: STATUS_ERROR })
    expect(json.events).toEqual([])
    expect(json.attributes).toMatchObject({ 'cloudflare.kv.query.type': 'json', 'error.type': 'SyntaxError' })
    expect(withMetadata.attributes['db.response.returned_rows']).toBe(1)
    expect(bulk.attributes).toMatchObject({ 'cloudflare.kv.query.keys.count': 2, 'db.response.returned_rows': 1 })
    expect(list.attributes['db.response.returned_rows']).toBe(1)
    const text = JSON.stringify(receiver.spans)
    expect(text).not.toContain('cart:')
    expect(text).not.toContain('three apples')
    expect(text).not.toContain('alice')
  })

  it('D1: d1_exec, d1_run, d1_batch, d1_first, d1_all, d1_raw and sessions, with ? placeholders and failures', async () => {
    const { traced, spans } = await compare('d1', 'd1')
    expect(traced).toMatchObject({ changes: 1, first: { id: 1, sku: 'sku-apple' }, firstColumn: 'sku-apple', raw: [[1, 'sku-apple']] })
    expect(spans.map((s) => s.name)).toEqual([
      'd1_exec',
      'd1_run',
      'd1_batch',
      'd1_first',
      'd1_first',
      'd1_all',
      'd1_raw',
      'd1_raw',
      'd1_first',
      'd1_all',
      'd1_run',
    ])
    const [exec, run, batch, first, , all, raw, rawWithNames, session, syntax, constraint] = spans
    expect(exec.attributes['db.query.text']).toBe('CREATE TABLE orders_d1t (id INTEGER PRIMARY KEY, sku TEXT NOT NULL)')
    expect(run.attributes).toMatchObject({
      'db.system.name': 'cloudflare-d1',
      'db.operation.name': 'run',
      'db.namespace': 'DB',
      'db.query.text': 'INSERT INTO orders_d1t (id, sku) VALUES (?, ?)',
      'cloudflare.binding.type': 'D1',
      'cloudflare.binding.name': 'DB',
      'cloudflare.d1.response.rows_written': 1,
    })
    expect(batch.attributes).toMatchObject({
      'db.operation.name': 'batch',
      'db.operation.batch.size': 2,
      'db.query.text': 'INSERT INTO orders_d1t (id, sku) VALUES (?, ?)\nSELECT sku FROM orders_d1t WHERE id = ?',
      'db.response.returned_rows': 1,
    })
    expect(first.attributes).toMatchObject({ 'db.query.text': 'SELECT id, sku FROM orders_d1t WHERE id = ?', 'db.response.returned_rows': 1 })
    expect(all.attributes['db.response.returned_rows']).toBe(1)
    expect(raw.attributes['db.response.returned_rows']).toBe(1)
    expect(rawWithNames.attributes['db.response.returned_rows']).toBe(1)
    // A literal in the query text becomes ?, as a bound value would be.
    expect(session.attributes['db.query.text']).toBe('SELECT count(*) AS n FROM orders_d1t WHERE sku = ?')
    // The syntax error keeps its message and cause for the user (compared above) and marks its span.
    const failure = (traced as { syntax: { error: { message: string; cause?: { message: string } } } }).syntax.error
    expect(failure.message).toMatch(/syntax error/)
    expect(failure.cause?.message).toMatch(/syntax error/)
    for (const failed of [syntax, constraint]) {
      expect(failed.status.code).toBe(STATUS_ERROR)
      expect(failed.attributes['error.type']).toBe('Error')
      expect(failed.events.find((e) => e.name === 'exception')?.attributes['exception.message']).toMatch(/D1_ERROR/)
    }
    expect(JSON.stringify(receiver.spans)).not.toContain('sku-apple')
  })

  it('R2: r2_put, r2_get, r2_head, r2_list, r2_delete, multipart, precondition failures, bodies that still stream', async () => {
    const { traced, spans } = await compare('r2', 'r1')
    expect(traced).toMatchObject({ etag: true, head: 11, streams: true, text: '{"order":7}', stale: { hasBody: false }, refused: null, multipart: 'all of it' })
    expect(spans.map((s) => s.name)).toEqual([
      'r2_put',
      'r2_get',
      'r2_get',
      'r2_put',
      'r2_createMultipartUpload',
      'r2_uploadPart',
      'r2_completeMultipartUpload',
      'r2_createMultipartUpload',
      'r2_abortMultipartUpload',
      'r2_head',
      'r2_get',
      'r2_list',
      'r2_delete',
      'r2_head',
      'r2_completeMultipartUpload',
    ])
    const [put, get, stale, refused] = spans
    expect(put.attributes).toEqual({
      'db.system.name': 'cloudflare-r2',
      'db.operation.name': 'put',
      'db.namespace': 'BUCKET',
      'cloudflare.binding.type': 'r2',
      'cloudflare.binding.name': 'BUCKET',
      'cloudflare.r2.response.size': 11,
    })
    expect(get.attributes['cloudflare.r2.response.size']).toBe(11)
    for (const failed of [stale, refused]) {
      expect(failed.status.code).toBe(STATUS_ERROR)
      expect(failed.attributes['error.type']).toBe('PreconditionFailed')
    }
    const badPart = spans.at(-1)!
    expect(badPart.status.code).toBe(STATUS_ERROR)
    expect(badPart.events.some((e) => e.name === 'exception')).toBe(true)
    expect(named(spans, 'r2_list')[0].attributes['db.response.returned_rows']).toBe(2)
    expect(JSON.stringify(receiver.spans)).not.toContain('receipts/')
  })

  it('Cache API: cache_put, cache_match (hit and miss), cache_delete on caches.default and caches.open()', async () => {
    const { traced, spans } = await compare('cache', 'c1')
    expect(traced).toEqual({ hit: 'cached catalogue', miss: null, deleted: true, namedMiss: null })
    expect(spans.map((s) => [s.name, s.attributes['db.namespace']])).toEqual([
      ['cache_put', 'default'],
      ['cache_match', 'default'],
      ['cache_match', 'default'],
      ['cache_delete', 'default'],
      ['cache_match', 'receipts'],
    ])
    expect(spans[1].attributes).toEqual({
      'db.system.name': 'cloudflare-cache',
      'db.operation.name': 'match',
      'db.namespace': 'default',
      'cloudflare.binding.type': 'cache',
      'cache.response.cache_status': 'HIT',
    })
    expect(spans[2].attributes['cache.response.cache_status']).toBe('MISS')
    expect(JSON.stringify(receiver.spans)).not.toContain('shop.test')
  })

  it('Analytics Engine: writeDataPoint is an event on the request span, with nothing it wrote', async () => {
    const { spans, server } = await compare('ae', 'a1')
    expect(spans).toEqual([])
    const event = server.events.find((e) => e.name === 'analytics_engine_writeDataPoint')!
    expect(event.attributes).toEqual({
      'db.system.name': 'cloudflare-analytics-engine',
      'db.operation.name': 'writeDataPoint',
      'db.namespace': 'EVENTS',
      'cloudflare.binding.type': 'ANALYTICS_ENGINE',
      'cloudflare.binding.name': 'EVENTS',
    })
    expect(JSON.stringify(receiver.spans)).not.toContain('checkout')
  })

  it('records db.client.operation.duration per operation, in seconds, with the semconv buckets and attributes', async () => {
    await call('/traced/kv/m1')
    await call('/traced/d1/m1')
    const points = () =>
      receiver.metrics.filter((m) => m.name === 'db.client.operation.duration').flatMap((m) => m.points.map((p) => ({ ...p, unit: m.unit, type: m.type })))
    const count = (system: string, operation: string, errorType?: string) =>
      points()
        .filter((p) => p.attributes['db.system.name'] === system && p.attributes['db.operation.name'] === operation && p.attributes['error.type'] === errorType)
        .reduce((n, p) => n + (p.count ?? 0), 0)
    await receiver.waitFor(() => count('cloudflare-kv', 'get') === 4 && count('cloudflare-d1', 'all', 'Error') === 1, 10_000, 'binding durations')
    expect(count('cloudflare-kv', 'get', 'SyntaxError')).toBe(1)
    expect(count('cloudflare-d1', 'first')).toBe(3)
    for (const p of points()) {
      expect(p.unit).toBe('s')
      expect(p.type).toBe('histogram')
      expect(p.explicitBounds).toEqual(DB_BOUNDARIES)
      expect(Object.keys(p.attributes).filter((k) => k !== 'error.type')).toEqual(['db.namespace', 'db.operation.name', 'db.system.name'])
    }
  })

  it('records keys, prefixes and cache URLs only when EDGE_OTEL_RECORD_BINDING_KEYS=true, with query secrets redacted', async () => {
    const keyed = await start({ EDGE_OTEL_RECORD_BINDING_KEYS: 'true' })
    try {
      for (const route of ['kv', 'r2', 'cache']) expect((await keyed.fetch(`/traced/${route}/o1`)).status).toBe(200)
      await receiver.waitFor(() => receiver.spans.filter((s) => s.kind === SERVER).length === 3, 10_000, 'three traces')
      await receiver.idle()
      const spans = receiver.spans
      expect(named(spans, 'kv_put')[0].attributes['cloudflare.kv.query.keys']).toBe('cart:o1')
      expect(named(spans, 'kv_get')[3].attributes['cloudflare.kv.query.keys']).toBe('cart:o1, cart:o1:none')
      expect(named(spans, 'kv_list')[0].attributes['cloudflare.kv.query.prefix']).toBe('cart:o1')
      expect(named(spans, 'r2_get')[0].attributes['cloudflare.r2.request.key']).toBe('receipts/o1.json')
      expect(named(spans, 'r2_delete')[0].attributes['cloudflare.r2.request.keys']).toBe('receipts/o1.json, receipts/o1.json.parts')
      expect(named(spans, 'cache_put')[0].attributes['cache.request.url']).toBe('https://shop.test/catalog/o1?token=REDACTED')
      expect(JSON.stringify(spans)).not.toContain('three apples')
    } finally {
      await keyed.dispose()
    }
  })
})
