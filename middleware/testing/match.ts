// Expectations about spans, metrics and logs, checked for shape before use, and matched against what
// arrived. A mismatch is a list of differences a reader can act on ("kind is client, not server").
import type { ReceivedLog, ReceivedMetric, ReceivedPoint, ReceivedSpan } from './decode.ts'
import { SEVERITIES, SPAN_KINDS, STATUS_CODES, type SeverityName, type SpanKindName, type StatusName, kindName, severityName } from './format.ts'

/** Compares a received value with an expected one (vitest's `this.equals`, so `expect.any(Number)` works). */
export type Equals = (received: unknown, expected: unknown) => boolean

/** A span, by any of its properties; attributes and resource are matched as subsets. */
export interface SpanExpectation {
  name?: string | RegExp
  kind?: SpanKindName
  /** Each attribute must be present with this value (or asymmetric matcher). Others may be present too. */
  attributes?: Record<string, unknown>
  status?: StatusName
  /** Names of events the span must have, e.g. `['exception']`. */
  events?: string[]
  /** Resource attributes, e.g. `{ 'service.name': 'orders' }`. */
  resource?: Record<string, unknown>
}

/** A span and, under it, direct children that must each match a different child span. */
export interface SpanTreeExpectation extends SpanExpectation {
  children?: SpanTreeExpectation[]
}

/**
 * A metric by name, and figures of its points whose attributes match: `value` (sums and gauges),
 * `count`, `sum` and `buckets` (histograms) are totals over those points, as delta temporality exports them.
 */
export interface MetricExpectation {
  name: string
  type?: 'sum' | 'gauge' | 'histogram'
  unit?: string
  attributes?: Record<string, unknown>
  value?: unknown
  count?: unknown
  sum?: unknown
  /** Bucket counts, the overflow bucket last. */
  buckets?: unknown
}

/** A log record; `span` asks that it be correlated with a span (`true`: any; an expectation: that span). */
export interface LogExpectation {
  severity?: SeverityName
  body?: string | RegExp
  attributes?: Record<string, unknown>
  span?: true | SpanExpectation
}

type Shape = Record<string, (v: unknown) => string | undefined>

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof RegExp)
const oneOf = (names: readonly string[]) => (v: unknown) => (typeof v === 'string' && names.includes(v) ? undefined : `one of ${names.map((n) => `'${n}'`).join(', ')}`)
const textOrPattern = (v: unknown) => (typeof v === 'string' || v instanceof RegExp ? undefined : 'a string or a RegExp')
const record = (v: unknown) => (isRecord(v) ? undefined : 'an object of attribute names to values')
const text = (v: unknown) => (typeof v === 'string' && v ? undefined : 'a non-empty string')
const any = () => undefined

const SPAN_SHAPE: Shape = {
  name: textOrPattern,
  kind: oneOf(Object.keys(SPAN_KINDS).filter((k) => k !== 'unspecified')),
  attributes: record,
  status: oneOf(Object.keys(STATUS_CODES)),
  events: (v) => (Array.isArray(v) && v.every((e) => typeof e === 'string') ? undefined : 'an array of event names'),
  resource: record,
}

const METRIC_SHAPE: Shape = {
  name: text,
  type: oneOf(['sum', 'gauge', 'histogram']),
  unit: (v) => (typeof v === 'string' ? undefined : 'a string'),
  attributes: record,
  value: any,
  count: any,
  sum: any,
  buckets: any,
}

const LOG_SHAPE: Shape = {
  severity: oneOf(Object.keys(SEVERITIES)),
  body: textOrPattern,
  attributes: record,
  span: (v) => (v === true ? undefined : checkShape(v, SPAN_SHAPE, 'span')),
}

/** What is wrong with `expectation`, given its shape, or undefined if nothing is. */
function checkShape(expectation: unknown, shape: Shape, path: string): string | undefined {
  if (!isRecord(expectation)) return `${path} is ${describe(expectation)}; expected an object such as { name: 'GET /' }`
  for (const [key, v] of Object.entries(expectation)) {
    const check = shape[key]
    if (!check) return `${path}.${key} is not a property it can have; use ${Object.keys(shape).join(', ')}`
    if (v === undefined) continue
    const problem = check(v)
    if (problem) return problem.includes(' is ') ? problem : `${path}.${key} is ${describe(v)}; expected ${problem}`
  }
  return undefined
}

/** An asymmetric matcher (`expect.any(Number)`) as vitest names it, or undefined for another value. */
export function asymmetricName(v: unknown): string | undefined {
  if (!v || typeof v !== 'object' || typeof (v as { asymmetricMatch?: unknown }).asymmetricMatch !== 'function') return undefined
  const matcher = v as { toAsymmetricMatcher?: () => string; toString(): string }
  return matcher.toAsymmetricMatcher?.() ?? matcher.toString()
}

/** A value as a failure message shows it. */
export function describe(v: unknown): string {
  if (v instanceof RegExp) return String(v)
  if (typeof v === 'string') return `'${v}'`
  if (v === undefined || v === null || typeof v !== 'object') return String(v)
  const matcher = asymmetricName(v)
  if (matcher) return matcher
  try {
    return JSON.stringify(v, (_, inner) => asymmetricName(inner) ?? (inner instanceof RegExp ? String(inner) : inner))
  } catch {
    return Object.prototype.toString.call(v)
  }
}

/** Throws a TypeError naming what is wrong with a span expectation (and its children, for a tree). */
export function checkSpanExpectation(expectation: unknown, path = 'expectation', tree = false): asserts expectation is SpanTreeExpectation {
  const shape = tree ? { ...SPAN_SHAPE, children: (v: unknown) => (Array.isArray(v) ? undefined : 'an array of span expectations') } : SPAN_SHAPE
  const problem = checkShape(expectation, shape, path)
  if (problem) throw new TypeError(problem)
  if (tree) (expectation as SpanTreeExpectation).children?.forEach((c, i) => checkSpanExpectation(c, `${path}.children[${i}]`, true))
}

/** Throws a TypeError naming what is wrong with a metric expectation. */
export function checkMetricExpectation(expectation: unknown): asserts expectation is MetricExpectation {
  const problem = checkShape(expectation, METRIC_SHAPE, 'expectation') ?? (isRecord(expectation) && expectation.name === undefined ? "expectation.name is missing; a metric expectation names its metric, e.g. { name: 'http.server.request.duration' }" : undefined)
  if (problem) throw new TypeError(problem)
}

/** Throws a TypeError naming what is wrong with a log expectation. */
export function checkLogExpectation(expectation: unknown): asserts expectation is LogExpectation {
  const problem = checkShape(expectation, LOG_SHAPE, 'expectation')
  if (problem) throw new TypeError(problem)
}

function textMatches(received: unknown, expected: string | RegExp): boolean {
  return typeof expected === 'string' ? received === expected : typeof received === 'string' && expected.test(received)
}

function attributeDifferences(received: Record<string, unknown>, expected: Record<string, unknown> | undefined, equals: Equals, what = 'attribute'): string[] {
  const out: string[] = []
  for (const [key, value] of Object.entries(expected ?? {})) {
    if (!(key in received)) out.push(`${what} ${key} is missing`)
    else if (!equals(received[key], value)) out.push(`${what} ${key} is ${describe(received[key])}, not ${describe(value)}`)
  }
  return out
}

/** How `span` differs from `expectation`; empty if it matches. */
export function spanDifferences(span: ReceivedSpan, expectation: SpanExpectation, equals: Equals): string[] {
  const out: string[] = []
  if (expectation.name !== undefined && !textMatches(span.name, expectation.name)) out.push(`name is '${span.name}', not ${describe(expectation.name)}`)
  if (expectation.kind !== undefined && span.kind !== SPAN_KINDS[expectation.kind]) out.push(`kind is ${kindName(span.kind)}, not ${expectation.kind}`)
  if (expectation.status !== undefined && (span.status.code ?? 0) !== STATUS_CODES[expectation.status]) {
    out.push(`status is ${Object.keys(STATUS_CODES)[span.status.code ?? 0]}, not ${expectation.status}`)
  }
  for (const event of expectation.events ?? []) if (!span.events.some((e) => e.name === event)) out.push(`event '${event}' is missing`)
  out.push(...attributeDifferences(span.attributes, expectation.attributes, equals))
  out.push(...attributeDifferences(span.resource, expectation.resource, equals, 'resource attribute'))
  return out
}

/** The spans that match `tree` with children matching its children, each a different span. */
export function matchSpanTree(spans: ReceivedSpan[], tree: SpanTreeExpectation, equals: Equals): ReceivedSpan | undefined {
  return spans.find((s) => treeMatches(s, tree, spans, equals))
}

function treeMatches(span: ReceivedSpan, tree: SpanTreeExpectation, spans: ReceivedSpan[], equals: Equals): boolean {
  if (spanDifferences(span, tree, equals).length) return false
  const children = spans.filter((c) => c.traceId === span.traceId && c.parentSpanId === span.spanId)
  const assign = (i: number, used: Set<ReceivedSpan>): boolean => {
    const expected = tree.children?.[i]
    if (!expected) return true
    return children.some((c) => !used.has(c) && treeMatches(c, expected, spans, equals) && assign(i + 1, new Set(used).add(c)))
  }
  return assign(0, new Set())
}

/** Totals over `points`, in the expectation's terms. */
function totals(points: ReceivedPoint[]): { value: number; count: number; sum: number; buckets: number[] } {
  const buckets: number[] = []
  let value = 0
  let count = 0
  let sum = 0
  for (const p of points) {
    value += p.value ?? 0
    count += p.count ?? 0
    sum += p.sum ?? 0
    p.bucketCounts?.forEach((n, i) => (buckets[i] = (buckets[i] ?? 0) + n))
  }
  return { value, count, sum, buckets }
}

/** How the metrics differ from `expectation`; empty if they match. */
export function metricDifferences(metrics: ReceivedMetric[], expectation: MetricExpectation, equals: Equals): string[] {
  const named = metrics.filter((m) => m.name === expectation.name)
  if (!named.length) return [`no metric named '${expectation.name}' arrived`]
  const out: string[] = []
  const types = [...new Set(named.map((m) => m.type))]
  if (expectation.type && !types.includes(expectation.type)) out.push(`its type is ${types.join(', ')}, not ${expectation.type}`)
  const units = [...new Set(named.map((m) => m.unit ?? ''))]
  if (expectation.unit !== undefined && !units.includes(expectation.unit)) out.push(`its unit is '${units.join("', '")}', not '${expectation.unit}'`)
  const points = named.flatMap((m) => m.points).filter((p) => attributeDifferences(p.attributes, expectation.attributes, equals).length === 0)
  if (!points.length) return [...out, `none of its points has the attributes ${describe(expectation.attributes)}`]
  const total = totals(points)
  for (const key of ['value', 'count', 'sum', 'buckets'] as const) {
    if (expectation[key] !== undefined && !equals(total[key], expectation[key])) {
      out.push(`the ${key} of its ${points.length} matching point${points.length === 1 ? '' : 's'} is ${describe(total[key])}, not ${describe(expectation[key])}`)
    }
  }
  return out
}

/** How `record` differs from `expectation`; empty if it matches. `spans` are searched for its span. */
export function logDifferences(record: ReceivedLog, expectation: LogExpectation, spans: ReceivedSpan[] | undefined, equals: Equals): string[] {
  const out: string[] = []
  if (expectation.severity !== undefined) {
    const low = SEVERITIES[expectation.severity]
    const n = record.severityNumber ?? 0
    if (n < low || n > low + 3) out.push(`severity is ${severityName(n)}, not ${expectation.severity.toUpperCase()}`)
  }
  if (expectation.body !== undefined && !textMatches(record.body, expectation.body)) out.push(`body is ${describe(record.body)}, not ${describe(expectation.body)}`)
  out.push(...attributeDifferences(record.attributes, expectation.attributes, equals))
  if (expectation.span !== undefined) {
    if (!record.spanId || !record.traceId) out.push('it has no trace and span id')
    else if (expectation.span !== true) {
      const span = spans?.find((s) => s.spanId === record.spanId && s.traceId === record.traceId)
      if (!span) out.push(`its span ${record.spanId} did not arrive`)
      else out.push(...spanDifferences(span, expectation.span, equals).map((d) => `its span's ${d}`))
    }
  }
  return out
}
