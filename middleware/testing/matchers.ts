// Vitest matchers on what arrived: each takes the telemetry (or one signal's list of it) and an
// expectation; a failure prints what did arrive as a tree, and a malformed expectation says what is wrong.
import { expect } from 'vitest'
import type { ReceivedLog, ReceivedMetric, ReceivedSpan } from './decode.ts'
import { formatLogs, formatMetrics, formatSpans } from './format.ts'
import {
  type Equals,
  type LogExpectation,
  type MetricExpectation,
  type SpanExpectation,
  type SpanTreeExpectation,
  checkLogExpectation,
  describe,
  checkMetricExpectation,
  checkSpanExpectation,
  logDifferences,
  matchSpanTree,
  metricDifferences,
  spanDifferences,
} from './match.ts'

interface State {
  isNot: boolean
  equals(a: unknown, b: unknown): boolean
}

interface Result {
  pass: boolean
  message: () => string
}

/** The list of one signal in `received`: the list itself, or that property of a telemetry object. */
function listOf<T>(received: unknown, signal: 'spans' | 'metrics' | 'logs', matcher: string): T[] {
  if (Array.isArray(received)) return received as T[]
  const list = (received as Record<string, unknown> | null)?.[signal]
  if (Array.isArray(list)) return list as T[]
  throw new TypeError(
    `${matcher} takes the ${signal} (telemetry.${signal}) or the telemetry that collectTelemetry or a test collector returned; it was given ${received === null ? 'null' : typeof received}`,
  )
}

function expectationKeys(e: SpanExpectation | SpanTreeExpectation): string[] {
  return [...Object.keys(e.attributes ?? {}), ...('children' in e ? (e.children ?? []).flatMap(expectationKeys) : [])]
}

const show = describe

/** Near misses: the spans of that name (or all, when it names none) and how each differs. */
function nearMisses(spans: ReceivedSpan[], expectation: SpanExpectation, equals: Equals): string {
  const candidates = spans.filter((s) => expectation.name === undefined || spanDifferences(s, { name: expectation.name }, equals).length === 0)
  if (!candidates.length) return ''
  return `\nclosest:\n${candidates
    .slice(0, 5)
    .map((s) => `  ${s.name}: ${spanDifferences(s, expectation, equals).join('; ')}`)
    .join('\n')}`
}

function toContainSpan(this: State, received: unknown, expectation: SpanExpectation): Result {
  const spans = listOf<ReceivedSpan>(received, 'spans', 'toContainSpan')
  checkSpanExpectation(expectation)
  const match = spans.find((s) => spanDifferences(s, expectation, this.equals).length === 0)
  const tree = () => formatSpans(spans, expectationKeys(expectation))
  return {
    pass: !!match,
    message: () =>
      match
        ? `expected no span matching ${show(expectation)}, but one arrived:\n${formatSpans([match], expectationKeys(expectation))}`
        : `expected a span matching ${show(expectation)}${nearMisses(spans, expectation, this.equals)}\n${spans.length} spans arrived:\n${tree()}`,
  }
}

function describeTree(tree: SpanTreeExpectation, indent = '  '): string {
  const { children, ...own } = tree
  return [`${indent}${show(own)}`, ...(children ?? []).map((c) => describeTree(c, `${indent}  `))].join('\n')
}

function toHaveSpanTree(this: State, received: unknown, tree: SpanTreeExpectation): Result {
  const spans = listOf<ReceivedSpan>(received, 'spans', 'toHaveSpanTree')
  checkSpanExpectation(tree, 'expectation', true)
  const root = matchSpanTree(spans, tree, this.equals)
  return {
    pass: !!root,
    message: () =>
      root
        ? `expected no spans in this shape, but they arrived:\n${describeTree(tree)}`
        : `expected spans in this shape (each child a direct child of the span above it):\n${describeTree(tree)}\n${spans.length} spans arrived:\n${formatSpans(spans, expectationKeys(tree))}`,
  }
}

function toHaveMetric(this: State, received: unknown, expectation: MetricExpectation): Result {
  const metrics = listOf<ReceivedMetric>(received, 'metrics', 'toHaveMetric')
  checkMetricExpectation(expectation)
  const differences = metricDifferences(metrics, expectation, this.equals)
  return {
    pass: differences.length === 0,
    message: () =>
      differences.length
        ? `expected a metric matching ${show(expectation)}, but ${differences.join('; ')}\nmetrics that arrived:\n${formatMetrics(metrics)}`
        : `expected no metric matching ${show(expectation)}, but it arrived:\n${formatMetrics(metrics.filter((m) => m.name === expectation.name))}`,
  }
}

function toHaveLog(this: State, received: unknown, expectation: LogExpectation): Result {
  const logs = listOf<ReceivedLog>(received, 'logs', 'toHaveLog')
  checkLogExpectation(expectation)
  const spans = (received as { spans?: unknown } | null)?.spans
  const correlated = Array.isArray(spans) ? (spans as ReceivedSpan[]) : undefined
  if (typeof expectation.span === 'object' && !correlated) {
    throw new TypeError('toHaveLog: expectation.span names a span, so give it the whole telemetry (expect(telemetry).toHaveLog(…)), not telemetry.logs')
  }
  const match = logs.find((r) => logDifferences(r, expectation, correlated, this.equals).length === 0)
  const misses = () =>
    logs
      .slice(0, 5)
      .map((r) => `  ${JSON.stringify(r.body)}: ${logDifferences(r, expectation, correlated, this.equals).join('; ')}`)
      .join('\n')
  return {
    pass: !!match,
    message: () =>
      match
        ? `expected no log record matching ${show(expectation)}, but one arrived:\n${formatLogs([match])}`
        : `expected a log record matching ${show(expectation)}${logs.length ? `\nclosest:\n${misses()}` : ''}\n${logs.length} log records arrived:\n${formatLogs(logs)}`,
  }
}

expect.extend({ toContainSpan, toHaveSpanTree, toHaveMetric, toHaveLog })

/** The matchers' types on vitest's `expect(…)`. */
export interface TelemetryMatchers<R> {
  /** Passes if a span matches: name, kind, status, events, and attributes and resource as subsets. */
  toContainSpan(expectation: SpanExpectation): R
  /** Passes if a span matches the root and, recursively, a different direct child matches each child. */
  toHaveSpanTree(tree: SpanTreeExpectation): R
  /** Passes if the named metric arrived with totals (over its points with those attributes) as expected. */
  toHaveMetric(expectation: MetricExpectation): R
  /** Passes if a log record matches: severity, body, attributes, and the span it is correlated with. */
  toHaveLog(expectation: LogExpectation): R
}

declare module 'vitest' {
  interface Matchers<R extends void | Promise<void> = void | Promise<void>, T = unknown> extends TelemetryMatchers<R> {}
}
