import { expect, it } from 'vitest'
import type { OtlpPayload, Signal } from './export.ts'
import { isSpilledPayload, spill, toPayload } from './spill.ts'

it('spills a payload of every signal so that the replay takes it back, gzip-compressed', async () => {
  for (const signal of ['traces', 'metrics', 'logs'] satisfies Signal[]) {
    const sent: unknown[] = []
    const queue = { send: async (message: unknown) => void sent.push(message) }
    const payload: OtlpPayload = { signal, contentType: 'application/x-protobuf', body: new Uint8Array([1, 2, 3]), items: 3 }
    await spill(queue, payload)
    expect(isSpilledPayload(sent[0])).toBe(true)
    expect(toPayload(sent[0] as never)).toMatchObject({ signal, items: 3, contentEncoding: 'gzip' })
  }
})

it('takes back nothing else from the queue', () => {
  expect(isSpilledPayload({ v: 1, signal: 'profiles', body: new Uint8Array() })).toBe(false)
  expect(isSpilledPayload({ v: 2, signal: 'traces', body: new Uint8Array() })).toBe(false)
  expect(isSpilledPayload('a message')).toBe(false)
})
