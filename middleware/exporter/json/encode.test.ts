import { type MeterOptions, SpanKind, type TracerOptions, ValueType } from '@opentelemetry/api'
import { describe, expect, it } from 'vitest'
import { decodeRequest, metricsOf, spansOf } from '../../testing/decode.ts'
import { EdgeMeterProvider } from '../../sdk/metrics/metrics.ts'
import { encodeMetricsJson, encodeTracesJson } from './encode.ts'
import { encodeMetricsProto, encodeTracesProto } from '../proto/encode.ts'
import { EdgeTracerProvider, type FinishedSpan } from '../../sdk/trace/tracer.ts'

const json = (s: string) => new TextEncoder().encode(s)

describe('OTLP/JSON', () => {
  it('decodes to exactly what the protobuf encoding decodes to', () => {
    const spans: FinishedSpan[] = []
    const tracer = new EdgeTracerProvider((s) => spans.push(s)).getTracer('t', '1')
    const span = tracer.startSpan('GET /x', { kind: SpanKind.CLIENT, attributes: { n: 7, f: 1.5, ok: false, list: [1, 2] } })
    span.addEvent('e')
    span.end()
    const resource = { 'service.name': 's' }
    const fromJson = spansOf(decodeRequest('traces', 'application/json', json(encodeTracesJson(resource, spans))))
    const fromProto = spansOf(decodeRequest('traces', 'application/x-protobuf', encodeTracesProto(resource, spans)))
    expect(fromJson).toEqual(fromProto)
  })

  it('encodes links, with their dropped attribute count, as the protobuf encoding does', () => {
    const spans: FinishedSpan[] = []
    const provider = new EdgeTracerProvider((s) => spans.push(s))
    provider.limits = { ...provider.limits, attributeCount: 1 }
    const target = { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16), traceFlags: 1, isRemote: true }
    provider.getTracer('t').startSpan('s', { links: [{ context: target, attributes: { a: 1, b: 2 } }] }).end()
    const fromJson = decodeRequest('traces', 'application/json', json(encodeTracesJson({}, spans))) as any
    const fromProto = decodeRequest('traces', 'application/x-protobuf', encodeTracesProto({}, spans)) as any
    const link = (d: any) => d.resourceSpans[0].scopeSpans[0].spans[0].links[0]
    expect(link(fromJson)).toEqual(link(fromProto))
    expect(link(fromJson).droppedAttributesCount).toBe(1)
  })

  it('writes hex ids, numeric enums and 64-bit integers as strings, as OTLP/JSON requires', () => {
    const spans: FinishedSpan[] = []
    new EdgeTracerProvider((s) => spans.push(s)).getTracer('t').startSpan('s', { kind: SpanKind.SERVER, attributes: { n: 7 } }).end()
    const body = JSON.parse(encodeTracesJson({}, spans))
    const span = body.resourceSpans[0].scopeSpans[0].spans[0]
    expect(span.traceId).toMatch(/^[0-9a-f]{32}$/)
    expect(span.kind).toBe(2)
    expect(typeof span.startTimeUnixNano).toBe('string')
    expect(span.attributes[0]).toEqual({ key: 'n', value: { intValue: '7' } })
  })

  it('encodes metrics that decode to what the protobuf encoding decodes to', async () => {
    const build = async () => {
      const p = new EdgeMeterProvider()
      const meter = p.getMeter('m')
      meter.createHistogram('h', { unit: 's', advice: { explicitBucketBoundaries: [1] } }).record(0.5, { a: 'b' })
      meter.createCounter('c', { valueType: ValueType.INT }).add(2)
      return p.collect()
    }
    const scopes = await build()
    const fromJson = metricsOf(decodeRequest('metrics', 'application/json', json(encodeMetricsJson({}, scopes))))
    const fromProto = metricsOf(decodeRequest('metrics', 'application/x-protobuf', encodeMetricsProto({}, scopes)))
    expect(fromJson).toEqual(fromProto)
    expect(fromJson.find((m) => m.name === 'h')!.points[0].bucketCounts).toEqual([1, 0])
  })

  it('encodes scope schema URLs and attributes as the protobuf encoding does', async () => {
    const options = { schemaUrl: 'https://opentelemetry.io/schemas/1.30.0', attributes: { 'lib.mode': 'fast' } }
    const spans: FinishedSpan[] = []
    new EdgeTracerProvider((s) => spans.push(s)).getTracer('lib', '2', options as TracerOptions).startSpan('s').end()
    const p = new EdgeMeterProvider()
    p.getMeter('lib', '2', options as MeterOptions).createCounter('c').add(1)
    const scopes = await p.collect()
    const scopeOf = (signal: string, body: string | Uint8Array) => {
      const decoded = decodeRequest(signal, typeof body === 'string' ? 'application/json' : 'application/x-protobuf', typeof body === 'string' ? json(body) : body) as any
      const { schemaUrl, scope } = (signal === 'traces' ? decoded.resourceSpans[0].scopeSpans : decoded.resourceMetrics[0].scopeMetrics)[0]
      return { schemaUrl, scope }
    }
    const fromJson = [scopeOf('traces', encodeTracesJson({}, spans)), scopeOf('metrics', encodeMetricsJson({}, scopes))]
    expect(fromJson).toEqual([scopeOf('traces', encodeTracesProto({}, spans)), scopeOf('metrics', encodeMetricsProto({}, scopes))])
    for (const { schemaUrl, scope } of fromJson) {
      expect(schemaUrl).toBe(options.schemaUrl)
      expect(scope.attributes).toEqual([{ key: 'lib.mode', value: { stringValue: 'fast' } }])
    }
  })

  it('is rejected by the independent decoder when a field name is wrong', () => {
    const bad = JSON.stringify({ resourceSpans: [{ scopeSpans: [{ spans: [{ name: 's', start_time_unix_nano: '1' }] }] }] })
    expect(() => decodeRequest('traces', 'application/json', json(bad))).toThrow(/unknown OTLP\/JSON field/)
  })
})
