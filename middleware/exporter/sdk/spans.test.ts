import { ROOT_CONTEXT, trace } from '@opentelemetry/api'
import { ProtobufTraceSerializer } from 'otlp-proto-root'
import { describe, expect, it } from 'vitest'
import { type ReceivedSpan, decodeRequest, spansOf } from '../../testing/decode.ts'
import { EdgeTracerProvider, type FinishedSpan, type RecordingSpan } from '../../sdk/trace/tracer.ts'
import { encodeTracesProto } from '../proto/encode.ts'
import { nanosOf } from '../proto/writer.ts'
import { SdkSpanView, hrTime, sdkResource } from './spans.ts'

/** The status as protobuf means it: the built-in encoder leaves out an UNSET status, the SDK's writes code 0. */
const withStatus = (spans: ReceivedSpan[]) => spans.map((s) => ({ ...s, status: s.status.code ? s.status : {} }))

const nanos = ([seconds, ns]: [number, number]) => BigInt(seconds) * 1_000_000_000n + BigInt(ns)

describe('hrTime', () => {
  it('gives the nanosecond the built-in encoders write', () => {
    for (const ms of [0, 1.5, 1795652421835.8174, 1795652421999.9999996, Date.now() + 0.123456]) expect(nanos(hrTime(ms))).toBe(nanosOf(ms))
  })
})

describe('SdkSpanView', () => {
  const attributes = { 'service.name': 'checkout' }
  const resource = sdkResource(attributes)

  function twoSpans(): { spans: FinishedSpan[]; views: SdkSpanView[] } {
    const spans: FinishedSpan[] = []
    const tracer = new EdgeTracerProvider((s) => spans.push(s)).getTracer('shop', '2.0')
    const parent = tracer.startSpan('parent', { kind: 1, attributes: { int: 1, text: 'x', list: [1, 2], real: 1.5, flag: true } }, ROOT_CONTEXT)
    const child = tracer.startSpan('child', {}, trace.setSpan(ROOT_CONTEXT, parent))
    child.addEvent('cache miss', { key: 'k' })
    child.addLink({ context: parent.spanContext(), attributes: { why: 'retry' } })
    child.setStatus({ code: 2, message: 'failed' })
    child.end()
    parent.end()
    return { spans, views: spans.map((s) => new SdkSpanView(s as RecordingSpan, () => resource)) }
  }

  it("encodes, through the SDK's own OTLP transformer (the 2.x line), to what the built-in encoder writes", () => {
    const { spans, views } = twoSpans()
    const stock = ProtobufTraceSerializer.serializeRequest(views as never)!
    const decoded = (body: Uint8Array) => withStatus(spansOf(decodeRequest('traces', 'application/x-protobuf', body)))
    expect(decoded(stock)).toEqual(decoded(encodeTracesProto(attributes, spans)))
    expect(decoded(stock)[0]).toMatchObject({ name: 'child', parentSpanId: spans[1].context.spanId, status: { code: 2, message: 'failed' } })
  })

  it('is live while the span runs, and converts once when it has ended', () => {
    const tracer = new EdgeTracerProvider(() => {}).getTracer('shop')
    const span = tracer.startSpan('work', {}, ROOT_CONTEXT) as RecordingSpan
    const view = new SdkSpanView(span, () => resource)
    view.setAttribute('set.through.view', 1).addEvent('started')
    expect(view.ended).toBe(false)
    expect(view.endTime).toEqual([0, 0])
    expect(span.attributes['set.through.view']).toBe(1)
    expect(view.events.map((e) => e.name)).toEqual(['started'])
    view.end()
    expect(view.ended).toBe(true)
    expect(view.events).toBe(view.events)
    expect(view.links).toBe(view.links)
    expect(view.endTime).toBe(view.endTime)
    expect(view.resource).toBe(resource)
    expect(view.instrumentationScope).toBe(span.scope)
    expect(view.parentSpanContext).toBeUndefined()
  })

  it('reads a copy of an ended span, as tail sampling exports it, without its methods', () => {
    const { spans } = twoSpans()
    const copy: FinishedSpan = { ...spans[0], context: { ...spans[0].context, traceFlags: 3 } }
    const view = new SdkSpanView(copy as RecordingSpan, () => resource)
    expect(view.ended).toBe(true)
    expect(view.events.map((e) => e.name)).toEqual(['cache miss'])
    expect(view.spanContext().traceFlags).toBe(3)
    const stock = ProtobufTraceSerializer.serializeRequest([view] as never)!
    expect(spansOf(decodeRequest('traces', 'application/x-protobuf', stock))[0]).toMatchObject({ name: 'child', flags: 0x103 })
  })

  it('merges resources as the SDK does: the other one wins', () => {
    expect(resource.merge(sdkResource({ 'service.name': 'other', extra: 1 })).attributes).toEqual({ 'service.name': 'other', extra: 1 })
    expect(resource.getRawAttributes()).toEqual([['service.name', 'checkout']])
  })
})
