import { afterEach, describe, expect, it, vi } from 'vitest'
import { EdgeTracerProvider, type FinishedSpan } from '../sdk/trace/tracer.ts'
import { type BatchSettings, createBatch } from './batch.ts'

afterEach(() => vi.useRealTimers())

/** `count` ended spans. */
function ended(count: number): FinishedSpan[] {
  const spans: FinishedSpan[] = []
  const tracer = new EdgeTracerProvider((s) => spans.push(s)).getTracer('batch.test')
  for (let i = 0; i < count; i++) tracer.startSpan(`span ${i}`).end()
  return spans
}

/** A batch whose flushes take its spans and count themselves. */
function batchWith(settings: BatchSettings | undefined) {
  const flushed: FinishedSpan[][] = []
  const batch = createBatch(
    () => settings,
    async () => void flushed.push(batch.take().spans),
  )
  return { batch, flushed }
}

const SETTINGS: BatchSettings = { maxQueueSize: 3, maxExportBatchSize: 2, batchDelay: 0 }

describe('the span batch', () => {
  it('buffers spans up to OTEL_BSP_MAX_QUEUE_SIZE, counts the rest dropped, and hands both over once', () => {
    const { batch } = batchWith({ ...SETTINGS, maxExportBatchSize: 100 })
    const spans = ended(5)
    for (const span of spans) batch.add(span)
    expect(batch.spans).toEqual(spans.slice(0, 3))
    expect(batch.take()).toEqual({ spans: spans.slice(0, 3), dropped: 2 })
    expect(batch.take()).toEqual({ spans: [], dropped: 0 })
  })

  it('holds 2048 spans before the isolate is configured', () => {
    const { batch } = batchWith(undefined)
    for (const span of ended(2049)) batch.add(span)
    expect(batch.take().dropped).toBe(1)
  })

  it('gives the first request to end the flush it schedules, and shares it with those that end before it runs', async () => {
    const { batch, flushed } = batchWith({ ...SETTINGS, maxExportBatchSize: 100 })
    const [a, b, c] = ended(3)
    batch.add(a)
    const first = batch.requestEnded()
    batch.add(b)
    expect(first).toBeInstanceOf(Promise)
    expect(batch.requestEnded()).toBeUndefined()
    await first
    expect(flushed).toEqual([[a, b]])
    batch.add(c)
    await batch.requestEnded()
    expect(flushed).toEqual([[a, b], [c]])
  })

  it('flushes at once when a request ends with OTEL_BSP_MAX_EXPORT_BATCH_SIZE spans buffered', async () => {
    const { batch, flushed } = batchWith({ ...SETTINGS, batchDelay: 60_000 })
    const spans = ended(2)
    for (const span of spans) batch.add(span)
    const flushing = batch.requestEnded()
    expect(flushed).toEqual([spans])
    await flushing
  })

  it('takes over a schedule older than 10 s, presumed lost with its request', () => {
    vi.useFakeTimers()
    const { batch } = batchWith({ ...SETTINGS, batchDelay: 60_000 })
    expect(batch.requestEnded()).toBeInstanceOf(Promise)
    vi.setSystemTime(Date.now() + 9_999)
    expect(batch.requestEnded()).toBeUndefined()
    vi.setSystemTime(Date.now() + 2)
    expect(batch.requestEnded()).toBeInstanceOf(Promise)
  })

  it('forgets its spans and its schedule when cleared', () => {
    vi.useFakeTimers()
    const { batch } = batchWith({ ...SETTINGS, batchDelay: 60_000 })
    batch.add(ended(1)[0])
    expect(batch.requestEnded()).toBeInstanceOf(Promise)
    batch.clear()
    expect(batch.spans).toEqual([])
    expect(batch.requestEnded()).toBeInstanceOf(Promise)
  })
})
