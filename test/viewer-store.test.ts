// What the viewer keeps: received spans made safe and bounded (ingest.ts), held as the last N traces
// (traces.ts), and the terminal's one line per trace (terminal.ts).
import { afterEach, describe, expect, it, vi } from 'vitest'
import { spansFromExport, logsFromExport } from '../infra/viewer/ingest.ts'
import type { Span } from '../infra/viewer/model.ts'
import { TracePrinter, formatTraceLine } from '../infra/viewer/terminal.ts'
import { TraceStore } from '../infra/viewer/traces.ts'

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'

function exportOf(spans: unknown[], resource: unknown = { attributes: [{ key: 'service.name', value: { stringValue: 'orders' } }] }) {
  return { resourceSpans: [{ resource, scopeSpans: [{ scope: { name: 'edge-otel', version: '0.1.0' }, spans }] }] }
}

function span(traceId: string, spanId: string, parentSpanId?: string, extra: Partial<Span> = {}): Span {
  return {
    traceId, spanId, parentSpanId, name: `span ${spanId}`, kind: 2, startMs: 1000, endMs: 1010, status: { code: 0 }, service: 'gateway',
    attributes: {}, events: [], links: [], resource: {}, scope: {}, dropped: { attributes: 0, events: 0, links: 0 }, ...extra,
  }
}

describe('spansFromExport', () => {
  it('keeps what a span says: ids, times to the nanosecond, kind, status, attributes of every type, events, links, resource', () => {
    const { spans, skipped } = spansFromExport(
      exportOf([
        {
          traceId: TRACE, spanId: '00f067aa0ba902b7', parentSpanId: 'b7ad6b7169203331', name: 'GET /orders/:id', kind: 2,
          startTimeUnixNano: '1700000000123456789', endTimeUnixNano: '1700000000125456789',
          attributes: [
            { key: 's', value: { stringValue: 'x' } }, { key: 'i', value: { intValue: '42' } }, { key: 'd', value: { doubleValue: 0.5 } },
            { key: 'b', value: { boolValue: true } }, { key: 'a', value: { arrayValue: { values: [{ stringValue: 'p' }, { intValue: 1 }] } } },
            { key: 'm', value: { kvlistValue: { values: [{ key: 'k', value: { stringValue: 'v' } }] } } },
          ],
          events: [{ name: 'exception', timeUnixNano: '1700000000124000000', attributes: [{ key: 'exception.type', value: { stringValue: 'Error' } }] }],
          links: [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b9c7c989f97918e1', attributes: [] }],
          status: { code: 2, message: 'boom' },
          droppedAttributesCount: 3,
        },
      ]),
    )
    expect(skipped).toBe(0)
    expect(spans).toEqual([
      {
        traceId: TRACE, spanId: '00f067aa0ba902b7', parentSpanId: 'b7ad6b7169203331', name: 'GET /orders/:id', kind: 2,
        startMs: 1_700_000_000_123.4568, endMs: 1_700_000_000_125.4568, status: { code: 2, message: 'boom' }, service: 'orders',
        attributes: { s: 'x', i: 42, d: 0.5, b: true, a: ['p', 1], m: { k: 'v' } },
        events: [{ name: 'exception', timeMs: 1_700_000_000_124, attributes: { 'exception.type': 'Error' } }],
        links: [{ traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b9c7c989f97918e1', attributes: {} }],
        resource: { 'service.name': 'orders' }, scope: { name: 'edge-otel', version: '0.1.0' }, dropped: { attributes: 3, events: 0, links: 0 },
      },
    ])
    expect(spans[0].startMs).toBeCloseTo(1_700_000_000_123.456789, 3)
  })

  it('survives hostile input: wrong types, ids that are not hex, megabyte strings, deep nesting, __proto__ keys', () => {
    const huge = 'x'.repeat(1024 * 1024)
    let nested: unknown = { stringValue: 'bottom' }
    for (let i = 0; i < 50; i++) nested = { arrayValue: { values: [nested] } }
    const { spans, skipped } = spansFromExport(
      exportOf(
        [
          { traceId: 'not hex', spanId: '00f067aa0ba902b7' },
          { traceId: '00000000000000000000000000000000', spanId: '00f067aa0ba902b7' },
          'a string where a span belongs',
          {
            traceId: TRACE.toUpperCase(), spanId: '00f067aa0ba902b7', name: { an: 'object' }, kind: 'SPAN_KIND_CONSUMER', startTimeUnixNano: 'soon',
            attributes: [{ key: 'huge', value: { stringValue: huge } }, { key: '__proto__', value: { stringValue: 'polluted?' } }, { key: 'deep', value: nested }, { value: {} }, 7],
            events: 'none', links: [{ traceId: 'bad', spanId: 'bad' }], status: 'broken',
          },
        ],
        'not a resource',
      ),
    )
    expect(skipped).toBe(2)
    expect(spans).toHaveLength(1)
    const [s] = spans
    expect(s).toMatchObject({ traceId: TRACE, name: '[object Object]', kind: 5, startMs: 0, status: { code: 0 }, service: 'unknown_service', events: [], links: [] })
    expect(s.attributes.huge).toBe(`${'x'.repeat(16_384)}… [${1024 * 1024 - 16_384} more characters]`)
    expect(Object.keys(s.attributes)).toEqual(['huge', '__proto__', 'deep'])
    expect(({} as Record<string, unknown>).polluted).toBeUndefined()
    expect(JSON.stringify(s.attributes.deep)).toBe('[[[["[nested too deep]"]]]]')
  })

  it('caps attributes, events and links per span, and counts what it left out', () => {
    const many = (n: number, f: (i: number) => unknown) => Array.from({ length: n }, (_, i) => f(i))
    const { spans } = spansFromExport(
      exportOf([
        {
          traceId: TRACE, spanId: '00f067aa0ba902b7',
          attributes: many(300, (i) => ({ key: `k${i}`, value: { intValue: i } })),
          events: many(300, (i) => ({ name: `e${i}` })),
          links: many(200, () => ({ traceId: TRACE, spanId: 'b9c7c989f97918e1' })),
        },
      ]),
    )
    expect(Object.keys(spans[0].attributes)).toHaveLength(256)
    expect(spans[0].events).toHaveLength(256)
    expect(spans[0].links).toHaveLength(128)
    expect(spans[0].dropped).toEqual({ attributes: 44, events: 44, links: 72 })
  })

  it('keeps log records that name their trace', () => {
    const logs = logsFromExport({
      resourceLogs: [
        {
          resource: { attributes: [{ key: 'service.name', value: { stringValue: 'orders' } }] },
          scopeLogs: [{ logRecords: [{ traceId: TRACE, spanId: '00f067aa0ba902b7', timeUnixNano: '1700000000000000000', severityNumber: 9, severityText: 'INFO', body: { stringValue: 'order accepted' } }, { body: { stringValue: 'no trace' } }] }],
        },
      ],
    })
    expect(logs).toEqual([{ traceId: TRACE, spanId: '00f067aa0ba902b7', timeMs: 1_700_000_000_000, severityNumber: 9, severityText: 'INFO', body: 'order accepted', service: 'orders', attributes: {} }])
  })
})

describe('TraceStore', () => {
  const id = (n: number) => n.toString(16).padStart(32, '0')

  it('keeps the last maxTraces traces by arrival and says which it dropped', () => {
    const store = new TraceStore({ maxTraces: 3 })
    const evicted: string[] = []
    for (let n = 1; n <= 5; n++) evicted.push(...store.addSpans([span(id(n), '00f067aa0ba902b7', undefined, { startMs: n })]).evicted)
    expect(store.size).toBe(3)
    expect(evicted).toEqual([id(1), id(2)])
    expect(store.list().map((t) => t.traceId)).toEqual([id(5), id(4), id(3)])
    expect(store.detail(id(1))).toBeUndefined()
    // A span of a kept trace does not make room.
    expect(store.addSpans([span(id(3), 'b7ad6b7169203331', '00f067aa0ba902b7')]).evicted).toEqual([])
    expect(store.summary(id(3))?.spanCount).toBe(2)
  })

  it('caps spans and logs per trace and counts the rest', () => {
    const store = new TraceStore({ maxSpansPerTrace: 2, maxLogsPerTrace: 1 })
    store.addSpans(['00f067aa0ba902b7', 'b7ad6b7169203331', 'b9c7c989f97918e1'].map((s) => span(TRACE, s)))
    store.addLogs([1, 2].map((n) => ({ traceId: TRACE, timeMs: n, severityNumber: 9, body: 'x', service: 'orders', attributes: {} })))
    expect(store.detail(TRACE)).toMatchObject({ truncated: { spans: 1, logs: 1 } })
    expect(store.detail(TRACE)!.spans).toHaveLength(2)
  })

  it("sums a trace up: its root, services with the root's first, errors, duration, and traces linking to it", () => {
    const store = new TraceStore()
    store.addSpans([
      span(TRACE, 'b7ad6b7169203331', '00f067aa0ba902b7', { service: 'orders', startMs: 1000, endMs: 1020, status: { code: 2 } }),
      span(TRACE, '00f067aa0ba902b7', undefined, { name: 'GET /orders/:id', service: 'gateway', startMs: 1000, endMs: 1030 }),
      span(id(9), 'b9c7c989f97918e1', undefined, { service: 'fulfillment', links: [{ traceId: TRACE, spanId: 'b7ad6b7169203331', attributes: {} }] }),
    ])
    expect(store.summary(TRACE)).toMatchObject({ rootName: 'GET /orders/:id', hasRoot: true, services: ['gateway', 'orders'], spanCount: 2, errorCount: 1, startMs: 1000, durationMs: 30 })
    expect(store.detail(TRACE)!.linkedFrom).toEqual([{ traceId: id(9), spanId: 'b9c7c989f97918e1', name: 'span b9c7c989f97918e1', service: 'fulfillment', toSpanId: 'b7ad6b7169203331' }])
    expect(store.services()).toEqual(['orders', 'gateway', 'fulfillment'])
  })
})

describe('the terminal line', () => {
  afterEach(() => vi.useRealTimers())

  const summary = { traceId: TRACE, rootName: 'GET /orders/:id', rootService: 'gateway', hasRoot: true, services: ['gateway', 'orders', 'inventory'], spanCount: 6, logCount: 1, errorCount: 0, startMs: 0, durationMs: 24, updatedMs: 0 }

  it('names the root, the services, the size, the duration, the status and the page', () => {
    expect(formatTraceLine(summary, `http://127.0.0.1:4318/traces/${TRACE}`)).toBe(
      `trace GET /orders/:id  gateway, orders, inventory  6 spans, 1 log  24.0 ms  OK  http://127.0.0.1:4318/traces/${TRACE}`,
    )
    expect(formatTraceLine({ ...summary, errorCount: 2, hasRoot: false, rootName: 'GET \x1b[2J/x' }, 'u')).toBe('trace GET ?[2J/x (root not received)  gateway, orders, inventory  6 spans, 1 log  24.0 ms  ERROR (2 spans)  u')
  })

  it('prints a trace once it is quiet, and again only if more of it arrived', () => {
    vi.useFakeTimers()
    const lines: string[] = []
    let current = summary
    const printer = new TracePrinter({ url: 'http://v', write: (l) => lines.push(l), quietMs: 500 }, () => current)
    printer.touched([TRACE])
    vi.advanceTimersByTime(400)
    printer.touched([TRACE])
    vi.advanceTimersByTime(400)
    expect(lines).toEqual([])
    vi.advanceTimersByTime(100)
    expect(lines).toHaveLength(1)
    printer.touched([TRACE])
    vi.advanceTimersByTime(500)
    expect(lines).toHaveLength(1)
    current = { ...summary, spanCount: 7 }
    printer.touched([TRACE])
    vi.advanceTimersByTime(500)
    expect(lines[1]).toMatch(/7 spans, 1 log .* \(more arrived\)$/)
  })

  it('waits longer for a trace whose root has not arrived', () => {
    vi.useFakeTimers()
    const lines: string[] = []
    const printer = new TracePrinter({ url: 'http://v', write: (l) => lines.push(l), quietMs: 500, rootlessQuietMs: 3000 }, () => ({ ...summary, hasRoot: false }))
    printer.touched([TRACE])
    vi.advanceTimersByTime(2900)
    expect(lines).toEqual([])
    vi.advanceTimersByTime(100)
    expect(lines[0]).toContain('(root not received)')
  })
})
