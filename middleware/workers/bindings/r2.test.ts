// The R2 table against Miniflare's real R2 bucket, called from Node (test/bindings.test.ts runs it
// inside workerd, end to end): misses and met conditions are no failures, multipart uploads resumed
// are traced, and what is never recorded. Bodies are not read here: Miniflare's Node proxy of an
// R2 object consumes the body when asked `'body' in object`, which workerd's object does not (workerd
// streams them, test/bindings.test.ts).
import type { Miniflare } from 'miniflare'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { FinishedSpan } from '../../sdk/trace/tracer.ts'
import { bindingsOnly, callInRequest, configureTelemetry } from '../../../test/binding-calls.ts'
import { R2 } from './r2.ts'

let mf: Miniflare
let bucket: R2Bucket
let etag: string

beforeAll(async () => {
  mf = bindingsOnly({ r2Buckets: ['RECEIPTS'] })
  bucket = (await mf.getR2Bucket('RECEIPTS')) as unknown as R2Bucket
  const stored = await bucket.put('receipts/o1.json', '{"card":"body-secret"}', { customMetadata: { owner: 'metadata-secret' } })
  etag = stored!.etag
}, 60_000)

afterAll(async () => {
  await mf?.dispose()
})

beforeEach(() => configureTelemetry())

/** Runs `fn` inside a request span; hands back its result (or error) and the spans it ended. */
const inRequest = <T>(fn: (traced: R2Bucket) => Promise<T>) => callInRequest(bucket, R2, 'RECEIPTS', fn)

const summary = (spans: FinishedSpan[]) => spans.map((s) => [s.name, s.attributes['cloudflare.r2.response.size'], s.attributes['error.type'], s.status.code])

describe('R2', () => {
  it('records a miss as no failure and no size, and a met condition as a read of the whole object', async () => {
    const { result, spans } = await inRequest(async (receipts) => [
      await receipts.get('receipts/none.json'),
      await receipts.head('receipts/none.json'),
      (await receipts.get('receipts/o1.json', { onlyIf: { etagMatches: etag } }))!.etag,
      (await receipts.head('receipts/o1.json'))!.customMetadata,
    ])
    expect(result).toEqual([null, null, etag, { owner: 'metadata-secret' }])
    expect(summary(spans)).toEqual([
      ['r2_get', undefined, undefined, 0],
      ['r2_head', undefined, undefined, 0],
      ['r2_get', 22, undefined, 0],
      ['r2_head', 22, undefined, 0],
    ])
  })

  it('records a failed condition as PreconditionFailed, on reads and writes, and hands back what R2 answered', async () => {
    const { result, spans } = await inRequest(async (receipts) => {
      const stale = await receipts.get('receipts/o1.json', { onlyIf: { etagDoesNotMatch: etag } })
      return [stale && 'body' in stale, await receipts.put('receipts/o1.json', 'overwrite', { onlyIf: { etagDoesNotMatch: etag } })]
    })
    expect(result).toEqual([false, null])
    expect(summary(spans)).toEqual([
      ['r2_get', undefined, 'PreconditionFailed', 2],
      ['r2_put', undefined, 'PreconditionFailed', 2],
    ])
    expect(await (await bucket.get('receipts/o1.json'))!.text()).toBe('{"card":"body-secret"}')
  })

  it('traces the parts of an upload resumed by id, without a span for resuming it', async () => {
    const upload = await bucket.createMultipartUpload('receipts/big.bin')
    const { result, spans } = await inRequest(async (receipts) => {
      const resumed = receipts.resumeMultipartUpload('receipts/big.bin', upload.uploadId)
      const part = await resumed.uploadPart(1, 'all of it')
      return (await resumed.complete([part])).size
    })
    expect(result).toBe(9)
    expect(summary(spans)).toEqual([
      ['r2_uploadPart', undefined, undefined, 0],
      ['r2_completeMultipartUpload', 9, undefined, 0],
    ])
    expect(spans[0].attributes).toMatchObject({ 'db.system.name': 'cloudflare-r2', 'db.namespace': 'RECEIPTS', 'cloudflare.binding.name': 'RECEIPTS' })
  })

  it('never records bodies or metadata, nor keys and prefixes unless asked', async () => {
    const { spans } = await inRequest(async (receipts) => {
      await receipts.put('receipts/o2.json', 'body-secret', { customMetadata: { owner: 'metadata-secret' } })
      await receipts.get('receipts/o2.json')
      await receipts.list({ prefix: 'receipts/', include: ['customMetadata'] })
      await receipts.delete(['receipts/o2.json', 'receipts/big.bin'])
    })
    expect(spans.map((s) => s.name)).toEqual(['r2_put', 'r2_get', 'r2_list', 'r2_delete'])
    expect(spans[2].attributes['db.response.returned_rows']).toBe(3)
    const recorded = JSON.stringify(spans)
    for (const secret of ['body-secret', 'metadata-secret', 'receipts/']) expect(recorded).not.toContain(secret)
  })

  it('records the key, the deleted keys joined and the list prefix when recordBindingKeys is on', async () => {
    configureTelemetry(true)
    const { spans } = await inRequest(async (receipts) => {
      await receipts.head('receipts/o1.json')
      await receipts.delete('receipts/gone.json')
      await receipts.delete(['receipts/a.json', 'receipts/b.json'])
      await receipts.list({ prefix: 'receipts/' })
    })
    const named = (s: FinishedSpan) =>
      s.attributes['cloudflare.r2.request.key'] ?? s.attributes['cloudflare.r2.request.keys'] ?? s.attributes['cloudflare.r2.request.prefix']
    expect(spans.map((s) => [s.name, named(s)])).toEqual([
      ['r2_head', 'receipts/o1.json'],
      ['r2_delete', 'receipts/gone.json'],
      ['r2_delete', 'receipts/a.json, receipts/b.json'],
      ['r2_list', 'receipts/'],
    ])
  })
})
