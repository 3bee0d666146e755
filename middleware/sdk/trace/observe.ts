import { type Context, type Span, context as contextApi } from '@opentelemetry/api'
import { EdgeTracer, type EdgeTracerProvider, type FinishedSpan, RecordingSpan } from './tracer.ts'

/** What `observeSpans` is told: each recording span as it starts (with its parent context), and as it ends. */
export interface SpanObserver {
  started(span: Span & FinishedSpan, parent: Context): void
  ended(span: FinishedSpan): void
}

/**
 * Tells `observer` of every recording span that `provider`'s tracers start and end, tracers made
 * before the call included: what SDK span processors' `onStart` and `onEnd` need. Starts are seen on
 * the tracer class, so for every provider's tracers (an isolate has one). Only the `edge-otel/sdk`
 * entry imports it, so the main bundle does not carry it.
 */
export function observeSpans(provider: EdgeTracerProvider, observer: SpanObserver): void {
  const startSpan = EdgeTracer.prototype.startSpan
  EdgeTracer.prototype.startSpan = function startObservedSpan(name, options, ctx = contextApi.active()) {
    const span = startSpan.call(this, name, options, ctx)
    if (span instanceof RecordingSpan && span.isRecording()) observer.started(span, ctx)
    return span
  }
  const sink = provider.sink
  provider.sink = (span) => {
    observer.ended(span)
    sink(span)
  }
}
