// The matching behind the kit's matchers (matchers.test.ts runs them on real exports), on received
// shapes as decode.ts makes them: each difference in words, and each malformed expectation named.
import { describe as group, expect, it } from 'vitest'
import type { ReceivedLog, ReceivedMetric, ReceivedSpan } from './decode.ts'
import { receivedSpan } from '../../test/trace-helpers.ts'
import {
  type Equals,
  checkLogExpectation,
  checkMetricExpectation,
  checkSpanExpectation,
  describe,
  logDifferences,
  matchSpanTree,
  metricDifferences,
  spanDifferences,
} from './match.ts'

/** vitest's own equality, asymmetric matchers included. */
const equals: Equals = (received, expected) => {
  try {
    expect(received).toEqual(expected)
    return true
  } catch {
    return false
  }
}

const TRACE = '0af7651916cd43dd8448eb211c80319c'
const span = (spanId: string, name: string, parentSpanId?: string, more: Partial<ReceivedSpan> = {}): ReceivedSpan =>
  receivedSpan({ traceId: TRACE, spanId, parentSpanId, name, resource: { 'service.name': 'orders' }, ...more })

group('spanDifferences', () => {
  it('names each way the span differs, and none when it matches', () => {
    const received = span('a1', 'GET /orders/:id', undefined, { kind: 2, attributes: { 'http.response.status_code': 200 }, events: [{ name: 'retry', attributes: {} }] })
    expect(spanDifferences(received, { name: /^GET /, kind: 'server', status: 'unset', events: ['retry'], attributes: { 'http.response.status_code': expect.any(Number) } }, equals)).toEqual([])
    expect(
      spanDifferences(received, { name: 'POST /orders', kind: 'client', status: 'error', events: ['exception'], attributes: { 'http.response.status_code': 500, 'url.path': '/' }, resource: { 'service.name': 'cart' } }, equals),
    ).toEqual([
      "name is 'GET /orders/:id', not 'POST /orders'",
      'kind is server, not client',
      'status is unset, not error',
      "event 'exception' is missing",
      'attribute http.response.status_code is 200, not 500',
      'attribute url.path is missing',
      "resource attribute service.name is 'orders', not 'cart'",
    ])
  })
})

group('matchSpanTree', () => {
  const spans = [span('r', 'root'), span('c1', 'child', 'r'), span('c2', 'child', 'r'), span('g', 'grandchild', 'c1'), span('x', 'child', 'r', { traceId: 'f'.repeat(32) })]

  it('matches each child expectation with a different direct child of the same trace', () => {
    expect(matchSpanTree(spans, { name: 'root', children: [{ name: 'child' }, { name: 'child', children: [{ name: 'grandchild' }] }] }, equals)?.spanId).toBe('r')
    expect(matchSpanTree(spans, { name: 'root', children: [{ name: 'child' }, { name: 'child' }, { name: 'child' }] }, equals)).toBeUndefined()
    expect(matchSpanTree(spans, { name: 'root', children: [{ name: 'grandchild' }] }, equals)).toBeUndefined()
  })
})

group('metricDifferences', () => {
  const point = (attributes: Record<string, unknown>, figures: object) => ({ attributes, startTimeUnixNano: '1', timeUnixNano: '2', ...figures })
  const metrics: ReceivedMetric[] = [
    { name: 'duration', unit: 's', type: 'histogram', points: [point({ route: '/a' }, { count: 2, sum: 0.3, bucketCounts: [1, 1] })], resource: {}, scope: {} },
    { name: 'duration', unit: 's', type: 'histogram', points: [point({ route: '/a' }, { count: 1, sum: 0.1, bucketCounts: [1, 0] }), point({ route: '/b' }, { count: 5, sum: 9, bucketCounts: [0, 5] })], resource: {}, scope: {} },
    { name: 'requests', type: 'sum', points: [point({}, { value: 4 })], resource: {}, scope: {} },
  ]

  it('totals the points whose attributes match, over every export', () => {
    expect(metricDifferences(metrics, { name: 'duration', type: 'histogram', unit: 's', attributes: { route: '/a' }, count: 3, buckets: [2, 1], sum: expect.closeTo(0.4) }, equals)).toEqual([])
  })

  it('says how the metric differs, or that no metric or point fits', () => {
    expect(metricDifferences(metrics, { name: 'duration', attributes: { route: '/a' }, count: 4 }, equals)).toEqual(['the count of its 2 matching points is 3, not 4'])
    expect(metricDifferences(metrics, { name: 'requests', type: 'gauge', unit: '1', value: 4 }, equals)).toEqual(["its type is sum, not gauge", "its unit is '', not '1'"])
    expect(metricDifferences(metrics, { name: 'latency' }, equals)).toEqual(["no metric named 'latency' arrived"])
    expect(metricDifferences(metrics, { name: 'duration', attributes: { route: '/c' } }, equals)).toEqual(['none of its points has the attributes {"route":"/c"}'])
  })
})

group('logDifferences', () => {
  const record = (more: Partial<ReceivedLog>): ReceivedLog => ({ timeUnixNano: '1', body: 'cart is stale', attributes: {}, resource: {}, ...more })

  it('takes a severity as its range of four numbers, and names the one received', () => {
    expect(logDifferences(record({ severityNumber: 14 }), { severity: 'warn', body: /stale/ }, undefined, equals)).toEqual([])
    expect(logDifferences(record({ severityNumber: 17 }), { severity: 'warn', body: 'cart is fresh' }, undefined, equals)).toEqual(['severity is ERROR, not WARN', "body is 'cart is stale', not 'cart is fresh'"])
  })

  it('checks the correlation with a span, and that span', () => {
    const spans = [span('a1', 'load cart')]
    expect(logDifferences(record({}), { span: true }, spans, equals)).toEqual(['it has no trace and span id'])
    expect(logDifferences(record({ traceId: TRACE, spanId: 'a1' }), { span: { name: 'load cart' } }, spans, equals)).toEqual([])
    expect(logDifferences(record({ traceId: TRACE, spanId: 'a1' }), { span: { name: 'price cart' } }, spans, equals)).toEqual(["its span's name is 'load cart', not 'price cart'"])
    expect(logDifferences(record({ traceId: TRACE, spanId: 'b2' }), { span: { name: 'load cart' } }, spans, equals)).toEqual(['its span b2 did not arrive'])
  })
})

group('checking expectations', () => {
  it('names what is wrong, and where, with what to write instead', () => {
    const problem = (check: () => void) => {
      try {
        check()
      } catch (error) {
        expect(error).toBeInstanceOf(TypeError)
        return (error as Error).message
      }
    }
    expect(problem(() => checkSpanExpectation('GET /'))).toBe("expectation is 'GET /'; expected an object such as { name: 'GET /' }")
    expect(problem(() => checkSpanExpectation({ kind: 'SERVER' }))).toBe("expectation.kind is 'SERVER'; expected one of 'internal', 'server', 'client', 'producer', 'consumer'")
    expect(problem(() => checkSpanExpectation({ attrs: {} }))).toBe('expectation.attrs is not a property it can have; use name, kind, attributes, status, events, resource')
    expect(problem(() => checkSpanExpectation({ name: 'a', children: [{}, { status: 'failed' }] }, 'tree', true))).toBe(
      "tree.children[1].status is 'failed'; expected one of 'unset', 'ok', 'error'",
    )
    expect(problem(() => checkMetricExpectation({ value: 1 }))).toMatch(/^expectation.name is missing/)
    expect(problem(() => checkLogExpectation({ span: { kind: 'server', events: 'exception' } }))).toBe("span.events is 'exception'; expected an array of event names")
    expect(problem(() => checkSpanExpectation({ name: 'a', kind: undefined }))).toBeUndefined()
  })

  it('shows values as a failure message reads them: matchers by name, patterns, and objects that JSON cannot write', () => {
    const circular: Record<string, unknown> = {}
    circular.self = circular
    expect([describe(expect.any(Number)), describe(/x/i), describe({ at: expect.any(String), re: /y/ }), describe(circular), describe(undefined)]).toEqual([
      'Any<Number>',
      '/x/i',
      '{"at":"Any<String>","re":"/y/"}',
      '[object Object]',
      'undefined',
    ])
  })
})
