import { describe, expect, it } from 'vitest'
import type { ReceivedSpan } from './decode.ts'
import { receivedSpan } from '../../test/trace-helpers.ts'
import { formatLogs, formatMetrics, formatSpans, severityName } from './format.ts'

const span = (name: string, spanId: string, parentSpanId?: string, more: Partial<ReceivedSpan> = {}): ReceivedSpan =>
  receivedSpan({ traceId: 'a'.repeat(32), spanId, parentSpanId, name, ...more })

describe('formatSpans', () => {
  it('draws each trace as a tree, marks errors, and says when a parent did not arrive', () => {
    const text = formatSpans([
      span('GET /a', '1'.repeat(16), 'f'.repeat(16), { kind: 2, attributes: { 'http.route': '/a', 'app.other': 1 }, resource: { 'service.name': 'svc' } }),
      span('child one', '2'.repeat(16), '1'.repeat(16), { status: { code: 2, message: 'boom' }, attributes: { 'app.key': 'x'.repeat(100) } }),
      span('child two', '3'.repeat(16), '1'.repeat(16)),
    ], ['app.key'])
    expect(text).toBe(
      [
        `  trace ${'a'.repeat(32)}`,
        `  └─ GET /a (server) {http.route="/a"} service=svc [parent ${'f'.repeat(16)} did not arrive]`,
        `     ├─ child one (internal) ERROR "boom" {app.key="${'x'.repeat(59)}…}`,
        '     └─ child two (internal)',
      ].join('\n'),
    )
    expect(formatSpans([])).toBe('  (no spans)')
  })
})

describe('formatMetrics and formatLogs', () => {
  it('give a line per metric and point, and per record', () => {
    expect(
      formatMetrics([
        { name: 'd', type: 'histogram', unit: 's', points: [{ attributes: { r: '/a' }, startTimeUnixNano: '1', timeUnixNano: '2', count: 2, sum: 0.5, bucketCounts: [1, 1] }], resource: {}, scope: {} },
      ]),
    ).toBe('  d (histogram, s)\n    count=2 sum=0.5 buckets=[1,1] {r="/a"}')
    expect(formatLogs([{ timeUnixNano: '1', severityNumber: 17, body: 'failed', attributes: {}, resource: {} }])).toBe('  ERROR "failed" (no span)')
    expect([0, 1, 9, 12, 13, 24].map(severityName)).toEqual(['UNSPECIFIED', 'TRACE', 'INFO', 'INFO', 'WARN', 'FATAL'])
  })
})
