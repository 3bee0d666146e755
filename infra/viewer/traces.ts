// The traces the viewer holds: the last `maxTraces` by arrival, each with at most `maxSpansPerTrace`
// spans and `maxLogsPerTrace` log records, so memory stays bounded however much arrives.
import type { LogRecord, Span, TraceDetail, TraceSummary } from './model.ts'

export interface TraceStoreOptions {
  /** Traces kept; the one that arrived first is dropped for each new one past this. */
  maxTraces: number
  maxSpansPerTrace: number
  maxLogsPerTrace: number
}

/** The viewer's defaults; `--max-traces` sets the first. */
export const DEFAULT_TRACE_STORE_OPTIONS: TraceStoreOptions = { maxTraces: 1000, maxSpansPerTrace: 5000, maxLogsPerTrace: 1000 }

interface StoredTrace {
  spans: Map<string, Span>
  logs: LogRecord[]
  truncated: { spans: number; logs: number }
  updatedMs: number
  summary?: TraceSummary
}

/** What an addition changed: traces to show again, and traces dropped to make room. */
export interface StoreChange {
  updated: string[]
  evicted: string[]
}

/** Distinct service names remembered for their colour; past this, new names share colours. */
const MAX_SERVICES = 1000

/** The traces received so far, within the bounds of its options; the pages read it through routes.ts. */
export class TraceStore {
  readonly options: TraceStoreOptions
  private readonly traces = new Map<string, StoredTrace>()
  private readonly serviceOrder = new Map<string, number>()

  constructor(options: Partial<TraceStoreOptions> = {}) {
    this.options = { ...DEFAULT_TRACE_STORE_OPTIONS, ...options }
  }

  get size(): number {
    return this.traces.size
  }

  addSpans(spans: Span[], now = Date.now()): StoreChange {
    const updated = new Set<string>()
    for (const span of spans) {
      const trace = this.traceFor(span.traceId, now)
      if (!trace.spans.has(span.spanId) && trace.spans.size >= this.options.maxSpansPerTrace) trace.truncated.spans++
      else trace.spans.set(span.spanId, span)
      this.rememberService(span.service)
      updated.add(span.traceId)
    }
    return this.evict(updated)
  }

  addLogs(logs: LogRecord[], now = Date.now()): StoreChange {
    const updated = new Set<string>()
    for (const log of logs) {
      const trace = this.traceFor(log.traceId, now)
      if (trace.logs.length >= this.options.maxLogsPerTrace) trace.truncated.logs++
      else trace.logs.push(log)
      updated.add(log.traceId)
    }
    return this.evict(updated)
  }

  /** Service names in the order they first arrived: the pages give each its colour by this index. */
  services(): string[] {
    return [...this.serviceOrder.keys()]
  }

  summary(traceId: string): TraceSummary | undefined {
    const trace = this.traces.get(traceId)
    if (!trace) return undefined
    trace.summary ??= summarize(traceId, trace)
    return trace.summary
  }

  /** Every trace's summary, the latest start first. */
  list(): TraceSummary[] {
    return [...this.traces.keys()].map((id) => this.summary(id)!).sort((a, b) => b.startMs - a.startMs)
  }

  detail(traceId: string): TraceDetail | undefined {
    const trace = this.traces.get(traceId)
    if (!trace) return undefined
    const linkedFrom: TraceDetail['linkedFrom'] = []
    for (const [otherId, other] of this.traces) {
      if (otherId === traceId) continue
      for (const span of other.spans.values()) {
        for (const link of span.links) {
          if (link.traceId === traceId) linkedFrom.push({ traceId: otherId, spanId: span.spanId, name: span.name, service: span.service, toSpanId: link.spanId })
        }
      }
    }
    return {
      summary: this.summary(traceId)!,
      spans: [...trace.spans.values()].sort((a, b) => a.startMs - b.startMs),
      logs: [...trace.logs].sort((a, b) => a.timeMs - b.timeMs),
      linkedFrom,
      truncated: { ...trace.truncated },
    }
  }

  private traceFor(traceId: string, now: number): StoredTrace {
    let trace = this.traces.get(traceId)
    if (!trace) {
      trace = { spans: new Map(), logs: [], truncated: { spans: 0, logs: 0 }, updatedMs: now }
      this.traces.set(traceId, trace)
    }
    trace.updatedMs = now
    trace.summary = undefined
    return trace
  }

  private rememberService(service: string): void {
    if (!this.serviceOrder.has(service) && this.serviceOrder.size < MAX_SERVICES) this.serviceOrder.set(service, this.serviceOrder.size)
  }

  private evict(updated: Set<string>): StoreChange {
    const evicted: string[] = []
    for (const traceId of this.traces.keys()) {
      if (this.traces.size <= this.options.maxTraces) break
      this.traces.delete(traceId)
      updated.delete(traceId)
      evicted.push(traceId)
    }
    return { updated: [...updated], evicted }
  }
}

function summarize(traceId: string, trace: StoredTrace): TraceSummary {
  const spans = [...trace.spans.values()].sort((a, b) => a.startMs - b.startMs)
  const root = spans.find((s) => !s.parentSpanId) ?? spans.find((s) => !trace.spans.has(s.parentSpanId!))
  const times = spans.length ? spans : trace.logs.map((l) => ({ startMs: l.timeMs, endMs: l.timeMs }))
  const startMs = times.length ? Math.min(...times.map((s) => s.startMs)) : trace.updatedMs
  const endMs = times.length ? Math.max(...times.map((s) => s.endMs)) : trace.updatedMs
  return {
    traceId,
    rootName: root?.name ?? '(no spans yet)',
    rootService: root?.service ?? trace.logs[0]?.service ?? '',
    hasRoot: spans.some((s) => !s.parentSpanId),
    services: [...new Set([...(root ? [root.service] : []), ...spans.map((s) => s.service), ...trace.logs.map((l) => l.service)])],
    spanCount: spans.length,
    logCount: trace.logs.length,
    errorCount: spans.filter((s) => s.status.code === 2).length,
    startMs,
    durationMs: endMs - startMs,
    updatedMs: trace.updatedMs,
  }
}
