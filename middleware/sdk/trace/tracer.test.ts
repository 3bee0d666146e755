import { ROOT_CONTEXT, SpanKind, SpanStatusCode, TraceFlags, context, trace } from '@opentelemetry/api'
import { beforeAll, describe, expect, it } from 'vitest'
import { AsyncLocalStorageContextManager } from '../context.ts'
import { EdgeTracerProvider, type FinishedSpan } from './tracer.ts'

const ended: FinishedSpan[] = []
const provider = new EdgeTracerProvider((span) => ended.push(span))
const tracer = provider.getTracer('test', '1.0.0')

beforeAll(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager())
})

describe('EdgeTracer', () => {
  it('starts a root span with random ids and the sampled and random flags', () => {
    const span = tracer.startSpan('root', {}, ROOT_CONTEXT)
    const ctx = span.spanContext()
    expect(ctx.traceId).toMatch(/^[0-9a-f]{32}$/)
    expect(ctx.spanId).toMatch(/^[0-9a-f]{16}$/)
    expect(ctx.traceFlags).toBe(TraceFlags.SAMPLED | 0x02)
    span.end()
    expect(ended.at(-1)).toMatchObject({ name: 'root', kind: SpanKind.INTERNAL, parentSpanId: undefined, scope: { name: 'test', version: '1.0.0' } })
  })

  it('nests startActiveSpan under the active span across awaits', async () => {
    await tracer.startActiveSpan('parent', async (parent) => {
      await new Promise((r) => setTimeout(r, 5))
      expect(trace.getActiveSpan()).toBe(parent)
      const child = tracer.startSpan('child')
      expect(child.spanContext().traceId).toBe(parent.spanContext().traceId)
      child.end()
      parent.end()
      expect((ended.at(-2) as FinishedSpan).parentSpanId).toBe(parent.spanContext().spanId)
    })
  })

  it('does not record a child of an unsampled remote parent, but keeps its trace id', () => {
    const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 0, isRemote: true })
    const span = tracer.startSpan('dropped', {}, parent)
    expect(span.isRecording()).toBe(false)
    expect(span.spanContext().traceId).toBe('a'.repeat(32))
    expect(span.spanContext().spanId).not.toBe('b'.repeat(16))
  })

  it('marks a remote parent', () => {
    const parent = trace.setSpanContext(ROOT_CONTEXT, { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1, isRemote: true })
    tracer.startSpan('s', {}, parent).end()
    expect(ended.at(-1)).toMatchObject({ parentSpanId: 'b'.repeat(16), parentIsRemote: true })
  })

  it('records attributes, events, links, status and exceptions, and ignores calls after end', () => {
    const span = tracer.startSpan('work', { kind: SpanKind.SERVER, attributes: { a: 1, bad: { no: 1 } as never } })
    span.setAttribute('b', 'x').setAttributes({ c: true, d: [1, 2] })
    span.addEvent('e', { k: 'v' })
    span.addLink({ context: { traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), traceFlags: 1 } })
    span.recordException(new TypeError('boom'))
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'failed' })
    span.end()
    span.setAttribute('late', 1)
    span.end()
    const finished = ended.at(-1)!
    expect(finished.attributes).toEqual({ a: 1, b: 'x', c: true, d: [1, 2] })
    expect(finished.events.map((e) => e.name)).toEqual(['e', 'exception'])
    expect(finished.events[1].attributes).toMatchObject({ 'exception.type': 'TypeError', 'exception.message': 'boom' })
    expect(finished.links).toHaveLength(1)
    expect(finished.status).toEqual({ code: SpanStatusCode.ERROR, message: 'failed' })
    expect(ended.filter((s) => s === finished)).toHaveLength(1)
  })

  it('caps attributes, events and value length by the configured limits', () => {
    const limited = new EdgeTracerProvider((span) => ended.push(span))
    limited.limits = { attributeCount: 2, attributeValueLength: 3, eventCount: 1, linkCount: 0 }
    const span = limited.getTracer('t').startSpan('s')
    span.setAttributes({ a: 'abcdef', b: ['xyz1'], c: 'dropped' })
    span.addEvent('1').addEvent('2')
    span.addLink({ context: span.spanContext() })
    span.end()
    const s = ended.at(-1)!
    expect(s.attributes).toEqual({ a: 'abc', b: ['xyz'] })
    expect([s.droppedAttributes, s.droppedEvents, s.droppedLinks]).toEqual([1, 1, 1])
  })

  it('applies the attribute limits and validation to link attributes, and counts what they dropped', () => {
    const limited = new EdgeTracerProvider((span) => ended.push(span))
    limited.limits = { attributeCount: 2, attributeValueLength: 3, eventCount: 1, linkCount: 2 }
    const target = { traceId: 'c'.repeat(32), spanId: 'd'.repeat(16), traceFlags: 1 }
    const span = limited.getTracer('t').startSpan('s', { links: [{ context: target, attributes: { a: 'abcdef', bad: { no: 1 } as never, b: [1], c: true } }] })
    span.addLink({ context: target, attributes: { '': 1, d: ['xyz1', 'q'] } })
    span.addLink({ context: target })
    span.end()
    const s = ended.at(-1)!
    expect(s.links.map((l) => [l.attributes, l.droppedAttributes])).toEqual([
      [{ a: 'abc', b: [1] }, 1],
      [{ d: ['xyz', 'q'] }, 0],
    ])
    expect(s.droppedLinks).toBe(1)
  })

  it('never ends before it starts', () => {
    const span = tracer.startSpan('t', { startTime: 2_000 })
    span.end(1_000)
    expect(ended.at(-1)!.endTime).toBe(2_000)
  })
})

describe('W3C Level 2 random flag', () => {
  it('is kept on children of an unsampled parent, and travels in traceparent', async () => {
    const { W3CPropagator } = await import('../propagation.ts')
    const propagator = new W3CPropagator()
    const getter = { keys: (c: Record<string, string>) => Object.keys(c), get: (c: Record<string, string>, k: string) => c[k] }
    const parent = propagator.extract(ROOT_CONTEXT, { traceparent: '00-12345678901234567890123456789012-1234567890123456-02' }, getter)
    const child = tracer.startSpan('client', {}, parent)
    const out: Record<string, string> = {}
    propagator.inject(trace.setSpan(parent, child), out, { set: (c, k, v) => void (c[k] = v) })
    expect(out.traceparent).toMatch(/^00-12345678901234567890123456789012-(?!1234567890123456)[0-9a-f]{16}-02$/)
  })
})

describe('sampling at span start', () => {
  it('does not record a root span the sampler drops, but gives it ids and the random flag', async () => {
    const { createSampler } = await import('./sampling.ts')
    const sampled = new EdgeTracerProvider((span) => ended.push(span))
    sampled.sampler = createSampler('always_off', 1)
    const span = sampled.getTracer('t').startSpan('dropped', {}, ROOT_CONTEXT)
    expect(span.isRecording()).toBe(false)
    expect(span.spanContext().traceFlags).toBe(0x02)
    expect(trace.isSpanContextValid(span.spanContext())).toBe(true)
  })

  it('records unsampled spans for tail sampling, with the sampled flag still clear', async () => {
    const { createSampler } = await import('./sampling.ts')
    const held: FinishedSpan[] = []
    const tail = new EdgeTracerProvider((span) => held.push(span))
    tail.sampler = createSampler('parentbased_always_off', 1)
    tail.recordUnsampled = true
    const root = tail.getTracer('t').startSpan('root', {}, ROOT_CONTEXT)
    const child = tail.getTracer('t').startSpan('child', {}, trace.setSpan(ROOT_CONTEXT, root))
    expect([root.isRecording(), child.isRecording()]).toEqual([true, true])
    expect(child.spanContext().traceFlags).toBe(0x02)
    child.end()
    root.end()
    expect(held.map((s) => s.name)).toEqual(['child', 'root'])
  })
})
