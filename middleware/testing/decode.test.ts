// The test kit's decoder on bytes made by protobufjs from the official proto (not by the library's
// encoder) and on OTLP/JSON as the spec writes it: what it accepts, converts and refuses.
import { describe, expect, it } from 'vitest'
import { TYPES, attributesOf, decodeRequest, logsOf, metricsOf, spansOf } from './decode.ts'

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c'
const SPAN_ID = 'b7ad6b7169203331'
const NANOS = '1795651200123456789'

/** An ExportTraceServiceRequest in OTLP/JSON (hex ids, 64-bit integers as strings). */
const traceJson = (span: Record<string, unknown> = {}) => ({
  resourceSpans: [
    {
      resource: { attributes: [{ key: 'service.name', value: { stringValue: 'orders' } }] },
      scopeSpans: [
        {
          scope: { name: 'edge-otel', version: '1.0.0' },
          spans: [
            {
              traceId: TRACE_ID,
              spanId: SPAN_ID,
              name: 'GET /orders/:id',
              kind: 2,
              startTimeUnixNano: NANOS,
              endTimeUnixNano: NANOS,
              attributes: [
                { key: 'http.response.status_code', value: { intValue: '200' } },
                { key: 'app.ratio', value: { doubleValue: 0.5 } },
                { key: 'app.cached', value: { boolValue: true } },
                { key: 'app.tags', value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: '2' }] } } },
              ],
              events: [{ name: 'retry', timeUnixNano: NANOS, attributes: [{ key: 'attempt', value: { intValue: '2' } }] }],
              status: { code: 2, message: 'boom' },
              ...span,
            },
          ],
        },
      ],
    },
  ],
})

const bytes = (text: string) => new TextEncoder().encode(text)
const protobufOf = (signal: string, json: unknown) => {
  const type = TYPES[signal]
  return type.encode(type.fromObject(json)).finish()
}

describe('decodeRequest', () => {
  it('decodes OTLP/JSON and protobuf of the same request to the same objects, ids in hex, nanoseconds exact', () => {
    const json = traceJson()
    const fromJson = decodeRequest('traces', 'application/json', bytes(JSON.stringify(json)))
    const base64Ids = JSON.parse(JSON.stringify(json))
    base64Ids.resourceSpans[0].scopeSpans[0].spans[0].traceId = Buffer.from(TRACE_ID, 'hex').toString('base64')
    base64Ids.resourceSpans[0].scopeSpans[0].spans[0].spanId = Buffer.from(SPAN_ID, 'hex').toString('base64')
    const fromProtobuf = decodeRequest('traces', 'application/x-protobuf', protobufOf('traces', base64Ids))
    expect(fromProtobuf).toEqual(fromJson)
    const [span] = spansOf(fromJson)
    expect(span).toMatchObject({ traceId: TRACE_ID, spanId: SPAN_ID, parentSpanId: undefined, kind: 2, startTimeUnixNano: NANOS, status: { code: 2, message: 'boom' } })
    expect(span.attributes).toEqual({ 'http.response.status_code': 200, 'app.ratio': 0.5, 'app.cached': true, 'app.tags': ['a', 2] })
    expect(span.events).toEqual([{ name: 'retry', attributes: { attempt: 2 } }])
    expect(span.resource).toEqual({ 'service.name': 'orders' })
    expect(span.scope).toMatchObject({ name: 'edge-otel', version: '1.0.0' })
  })

  it('refuses OTLP/JSON with a misspelled field or a value of the wrong type, naming the field', () => {
    expect(() => decodeRequest('traces', 'application/json', bytes(JSON.stringify(traceJson({ nmae: 'typo' }))))).toThrow(
      'unknown OTLP/JSON field .resourceSpans[0].scopeSpans[0].spans[0].nmae',
    )
    expect(() => decodeRequest('traces', 'application/json', bytes(JSON.stringify(traceJson({ kind: 'SERVER' }))))).toThrow(/resourceSpans\[0\]\.scopeSpans\[0\]\.spans\[0\]\.kind/)
    expect(() => decodeRequest('traces', 'application/json', bytes(JSON.stringify(traceJson({ spanId: 'B7AD6B7169203331' }))))).toThrow('id "B7AD6B7169203331" is not lowercase hex')
  })

  it('hands back OTLP/JSON as parsed when strictJson is off', () => {
    const json = traceJson({ peerField: 'kept' })
    expect(decodeRequest('traces', 'application/json; charset=utf-8', bytes(JSON.stringify(json)), false)).toEqual(json)
  })

  it('refuses an unknown signal, an unsupported content type and bytes that are no protobuf', () => {
    expect(() => decodeRequest('profiles', 'application/x-protobuf', new Uint8Array())).toThrow('unknown signal profiles')
    expect(() => decodeRequest('traces', 'text/plain', new Uint8Array())).toThrow('unsupported content-type text/plain')
    expect(() => decodeRequest('traces', 'application/x-protobuf', new Uint8Array([0x0a, 0xff]))).toThrow()
  })
})

describe('metricsOf and logsOf', () => {
  it('flattens histograms, sums and gauges with their points, and log records with their context', () => {
    const point = { startTimeUnixNano: NANOS, timeUnixNano: NANOS, attributes: [{ key: 'http.route', value: { stringValue: '/orders' } }] }
    const metrics = metricsOf(
      decodeRequest(
        'metrics',
        'application/x-protobuf',
        protobufOf('metrics', {
          resourceMetrics: [
            {
              scopeMetrics: [
                {
                  metrics: [
                    { name: 'duration', unit: 's', histogram: { aggregationTemporality: 1, dataPoints: [{ ...point, count: '3', sum: 0.6, bucketCounts: ['1', '2'], explicitBounds: [0.1] }] } },
                    { name: 'requests', sum: { aggregationTemporality: 2, isMonotonic: true, dataPoints: [{ ...point, asInt: '4294967297' }] } },
                    { name: 'active', gauge: { dataPoints: [{ ...point, asDouble: 1.5 }] } },
                  ],
                },
              ],
            },
          ],
        }),
      ),
    )
    expect(metrics.map((m) => [m.name, m.type, m.temporality, m.isMonotonic])).toEqual([
      ['duration', 'histogram', 1, undefined],
      ['requests', 'sum', 2, true],
      ['active', 'gauge', undefined, undefined],
    ])
    expect(metrics[0].points[0]).toMatchObject({ count: 3, sum: 0.6, bucketCounts: [1, 2], explicitBounds: [0.1], attributes: { 'http.route': '/orders' } })
    expect(metrics.slice(1).map((m) => m.points[0].value)).toEqual([4294967297, 1.5])

    const logs = logsOf(
      decodeRequest(
        'logs',
        'application/json',
        bytes(JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: NANOS, severityNumber: 9, severityText: 'INFO', body: { stringValue: 'paid' }, traceId: TRACE_ID, spanId: SPAN_ID }, { timeUnixNano: NANOS, body: { intValue: '1' } }] }] }] })),
      ),
    )
    expect(logs.map((l) => [l.body, l.severityText, l.traceId, l.spanId])).toEqual([
      ['paid', 'INFO', TRACE_ID, SPAN_ID],
      [1, undefined, undefined, undefined],
    ])
  })

  it('reads a request with no groups as nothing, and an attribute value it cannot show as undefined', () => {
    expect([spansOf({}), metricsOf({}), logsOf({})]).toEqual([[], [], []])
    expect(attributesOf([{ key: 'nested', value: { kvlistValue: { values: [] } } }, { key: 'unset' }])).toEqual({ nested: undefined, unset: undefined })
  })
})
