import { type MeterOptions, SpanKind, SpanStatusCode, type TracerOptions, ValueType } from '@opentelemetry/api'
import { describe, expect, it } from 'vitest'
import { attributesOf, decodeRequest, metricsOf, spansOf } from '../../testing/decode.ts'
import { EdgeMeterProvider } from '../../sdk/metrics/metrics.ts'
import { encodeMetricsProto, encodeTracesProto } from './encode.ts'
import { W3CTraceState } from '../../sdk/propagation.ts'
import { EdgeTracerProvider, type FinishedSpan } from '../../sdk/trace/tracer.ts'

const resource = { 'service.name': 'orders', 'service.instance.id': 'abc', count: 3, ratio: 0.5, on: true, tags: ['a', 'b'] }

function makeSpans(): FinishedSpan[] {
  const spans: FinishedSpan[] = []
  const tracer = new EdgeTracerProvider((s) => spans.push(s)).getTracer('edge-otel', '0.1.0')
  const root = tracer.startSpan('GET /orders/:id', { kind: SpanKind.SERVER, startTime: 1_700_000_000_123.5 })
  root.setAttributes({ 'http.response.status_code': 500, big: 'x'.repeat(300), neg: -42, pi: 3.14159 })
  root.addEvent('exception', { 'exception.message': 'ünïcødé ✓' }, 1_700_000_000_124)
  root.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' })
  root.end(1_700_000_000_200)
  return spans
}

describe('encodeTracesProto', () => {
  it('produces bytes the official opentelemetry-proto schema decodes to the same span', () => {
    const [span] = makeSpans()
    const decoded = spansOf(decodeRequest('traces', 'application/x-protobuf', encodeTracesProto(resource, [span])))
    expect(decoded).toHaveLength(1)
    const got = decoded[0]
    expect(got.traceId).toBe(span.context.traceId)
    expect(got.spanId).toBe(span.context.spanId)
    expect(got.parentSpanId).toBeUndefined()
    expect(got.name).toBe('GET /orders/:id')
    expect(got.kind).toBe(2)
    expect(got.startTimeUnixNano).toBe('1700000000123500000')
    expect(got.endTimeUnixNano).toBe('1700000000200000000')
    expect(got.attributes).toEqual({ 'http.response.status_code': 500, big: 'x'.repeat(300), neg: -42, pi: 3.14159 })
    expect(got.events[0]).toEqual({ name: 'exception', attributes: { 'exception.message': 'ünïcødé ✓' } })
    expect(got.status).toEqual({ code: 2, message: 'boom' })
    expect(got.flags).toBe(0x103)
    expect(got.resource).toEqual(resource)
    expect(got.scope).toMatchObject({ name: 'edge-otel', version: '0.1.0' })
  })

  it('encodes parent, trace state and links', () => {
    const spans: FinishedSpan[] = []
    const tracer = new EdgeTracerProvider((s) => spans.push(s)).getTracer('t')
    const parent = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1, isRemote: true, traceState: new W3CTraceState([['rojo', '1']]) }
    const span = tracer.startSpan('child', { links: [{ context: parent, attributes: { why: 'retry' } }] }, undefined)
    span.end()
    const withParent = { ...spans[0], parentSpanId: 'b'.repeat(16), parentIsRemote: true, context: { ...spans[0].context, traceState: parent.traceState } }
    const decoded = decodeRequest('traces', 'application/x-protobuf', encodeTracesProto({}, [withParent as FinishedSpan])) as any
    const s = decoded.resourceSpans[0].scopeSpans[0].spans[0]
    expect(s.parentSpanId).toBe('b'.repeat(16))
    expect(s.traceState).toBe('rojo=1')
    expect(s.flags).toBe(0x300 | (spans[0].context.traceFlags & 0xff))
    expect(s.links[0]).toMatchObject({ traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceState: 'rojo=1', flags: 0x301 })
  })

  it('encodes the dropped attribute count of a link', () => {
    const spans: FinishedSpan[] = []
    const provider = new EdgeTracerProvider((s) => spans.push(s))
    provider.limits = { ...provider.limits, attributeCount: 1 }
    const target = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1 }
    provider.getTracer('t').startSpan('s', { links: [{ context: target, attributes: { a: 1, b: 2, c: 3 } }, { context: target }] }).end()
    const decoded = decodeRequest('traces', 'application/x-protobuf', encodeTracesProto({}, spans)) as any
    const links = decoded.resourceSpans[0].scopeSpans[0].spans[0].links
    expect(links.map((l: any) => [l.attributes.length, l.droppedAttributesCount])).toEqual([[1, 2], [0, undefined]])
  })

  it('encodes the schema URL and attributes a tracer was made with, each tracer in its own ScopeSpans', () => {
    const spans: FinishedSpan[] = []
    const provider = new EdgeTracerProvider((s) => spans.push(s))
    const schemaUrl = 'https://opentelemetry.io/schemas/1.30.0'
    provider.getTracer('lib', '2', { schemaUrl, attributes: { 'lib.mode': 'fast', shards: 3 } } as TracerOptions).startSpan('a').end()
    provider.getTracer('lib', '2').startSpan('b').end()
    provider.getTracer('lib', '2', { schemaUrl, attributes: { 'lib.mode': 'fast', shards: 3 } } as TracerOptions).startSpan('c').end()
    const decoded = decodeRequest('traces', 'application/x-protobuf', encodeTracesProto({}, spans)) as any
    const scopes = decoded.resourceSpans[0].scopeSpans.map((s: any) => ({
      schemaUrl: s.schemaUrl,
      scope: { ...s.scope, attributes: attributesOf(s.scope.attributes) },
      spans: s.spans.map((sp: any) => sp.name),
    }))
    expect(scopes).toEqual([
      { schemaUrl, scope: { name: 'lib', version: '2', attributes: { 'lib.mode': 'fast', shards: 3 } }, spans: ['a', 'c'] },
      { schemaUrl: undefined, scope: { name: 'lib', version: '2', attributes: {} }, spans: ['b'] },
    ])
  })

  it('handles a batch large enough to need multi-byte lengths everywhere', () => {
    const spans = Array.from({ length: 300 }, () => makeSpans()[0])
    const decoded = spansOf(decodeRequest('traces', 'application/x-protobuf', encodeTracesProto(resource, spans)))
    expect(decoded).toHaveLength(300)
    expect(decoded[299].attributes.big).toBe('x'.repeat(300))
  })
})

describe('encodeMetricsProto', () => {
  it('encodes histograms, sums and gauges that the official schema decodes', async () => {
    const p = new EdgeMeterProvider()
    const meter = p.getMeter('m', '1')
    const h = meter.createHistogram('http.server.request.duration', { unit: 's', advice: { explicitBucketBoundaries: [0.005, 0.01] } })
    h.record(0.001, { 'http.route': '/a' })
    h.record(0.02, { 'http.route': '/a' })
    meter.createCounter('orders.placed', { valueType: ValueType.INT }).add(3, { status: 'accepted' })
    meter.createUpDownCounter('active').add(-2)
    meter.createObservableGauge('temp').addCallback((r) => r.observe(21.5))
    const decoded = metricsOf(decodeRequest('metrics', 'application/x-protobuf', encodeMetricsProto(resource, await p.collect())))
    const byName = Object.fromEntries(decoded.map((m) => [m.name, m]))
    expect(byName['http.server.request.duration']).toMatchObject({ type: 'histogram', unit: 's', temporality: 1 })
    expect(byName['http.server.request.duration'].points[0]).toMatchObject({
      attributes: { 'http.route': '/a' },
      count: 2,
      sum: 0.021,
      min: 0.001,
      max: 0.02,
      bucketCounts: [1, 0, 1],
      explicitBounds: [0.005, 0.01],
    })
    expect(byName['orders.placed']).toMatchObject({ type: 'sum', temporality: 1, isMonotonic: true })
    expect(byName['orders.placed'].points[0]).toMatchObject({ value: 3, attributes: { status: 'accepted' } })
    expect(byName.active).toMatchObject({ type: 'sum', temporality: 2 })
    expect(byName.active.points[0].value).toBe(-2)
    expect(byName.temp).toMatchObject({ type: 'gauge' })
    expect(byName.temp.points[0].value).toBe(21.5)
    expect(decoded[0].resource).toEqual(resource)
  })

  it('encodes the schema URL and attributes a meter was made with', async () => {
    const p = new EdgeMeterProvider()
    const schemaUrl = 'https://opentelemetry.io/schemas/1.30.0'
    p.getMeter('lib', '2', { schemaUrl, attributes: { 'lib.mode': 'fast' } } as MeterOptions).createCounter('c').add(1)
    p.getMeter('lib', '2').createCounter('c').add(2)
    const decoded = decodeRequest('metrics', 'application/x-protobuf', encodeMetricsProto({}, await p.collect())) as any
    const scopes = decoded.resourceMetrics[0].scopeMetrics.map((s: any) => [s.schemaUrl, attributesOf(s.scope.attributes), s.metrics[0].sum.dataPoints[0].asDouble])
    expect(scopes).toEqual([
      [schemaUrl, { 'lib.mode': 'fast' }, 1],
      [undefined, {}, 2],
    ])
  })
})
