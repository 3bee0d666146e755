import type { ReceivedMetric, ReceivedSpan } from './decode.ts'

const KINDS = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER']
const STATUS = ['', '', 'ERROR']

function durationMs(span: ReceivedSpan): string {
  const ns = BigInt(span.endTimeUnixNano) - BigInt(span.startTimeUnixNano)
  return `${(Number(ns) / 1e6).toFixed(1)} ms`
}

/** One line per span: trace, service, kind, name, status code, duration, and the parent link. */
export function formatSpans(spans: ReceivedSpan[]): string {
  return spans
    .map((s) => {
      const service = String(s.resource['service.name'] ?? '?').padEnd(10)
      const status = s.attributes['http.response.status_code'] ?? ''
      const error = STATUS[s.status.code ?? 0] ? ` ${STATUS[s.status.code ?? 0]}${s.attributes['error.type'] ? `(${s.attributes['error.type']})` : ''}` : ''
      const target = s.kind === 3 ? ` ${s.attributes['url.full'] ?? ''}` : ''
      const parent = s.parentSpanId ? `← ${s.parentSpanId.slice(0, 8)}` : '(root)'
      return `trace ${s.traceId.slice(0, 12)}  ${service} ${KINDS[s.kind].padEnd(8)} ${s.name}${target} ${status}${error}  ${durationMs(s)}  span ${s.spanId.slice(0, 8)} ${parent}`
    })
    .join('\n')
}

function attrs(a: Record<string, unknown>): string {
  return Object.entries(a)
    .map(([k, v]) => `${k}=${v}`)
    .join(',')
}

/** One line per data point: service, metric name, attributes, and count/sum or value. */
export function formatMetrics(metrics: ReceivedMetric[]): string {
  const lines: string[] = []
  for (const m of metrics) {
    const service = String(m.resource['service.name'] ?? '?').padEnd(10)
    for (const p of m.points) {
      const value = m.type === 'histogram' ? `count=${p.count} sum=${p.sum?.toFixed(4)}${m.unit ?? ''}` : `value=${p.value}${m.unit ? ` ${m.unit}` : ''}`
      lines.push(`metric      ${service} ${m.name}{${attrs(p.attributes)}} ${value}`)
    }
  }
  return lines.join('\n')
}
