import { type Span, TraceFlags } from '@opentelemetry/api'
import { ATTR_HTTP_RESPONSE_STATUS_CODE } from '@opentelemetry/semantic-conventions'
import type { Context } from 'hono'
import { KIND_CLIENT, STATUS_ERROR } from './api-values.ts'
import { oneOf, read, resolveLimit } from './config.ts'
import { formatTraceparent, parseTraceparent } from './propagation.ts'
import type { FinishedSpan } from './tracer.ts'

export interface TailSamplingOptions {
  /**
   * `EDGE_OTEL_TAIL_SAMPLING_SLOW_MS`: a request slower than this many ms is kept. Default 1000.
   * The env binding wins, so the threshold can change without a deploy.
   */
  slowMs?: number
}

/** Spans held for one trace; `keep` is set when a called function kept its part. */
type HeldSpans = FinishedSpan[] & { keep?: boolean }

/** What the telemetry runtime gives tail sampling: a place for the spans it keeps, and a way to report. */
export interface TailSink {
  export(span: FinishedSpan): void
  warnOnce(message: string): void
}

/**
 * Holds the spans of each request the head sampler did not sample, and decides at the request's end:
 * kept if a span failed, the request was slow, or a function it called kept its part; dropped
 * otherwise. A kept part is announced to the caller in `traceresponse`, so the caller keeps its part.
 */
export class TailSampler {
  readonly held = new Map<string, HeldSpans>()
  slowMs: number
  #sink: TailSink | undefined

  constructor(options: TailSamplingOptions = {}) {
    this.slowMs = options.slowMs ?? 1000
  }

  /** Applies `EDGE_OTEL_TAIL_SAMPLING` (on/off) and `..._SLOW_MS`; false when turned off. */
  configure(env: Record<string, unknown> | undefined, sink: TailSink): boolean {
    this.#sink = sink
    const problems: string[] = []
    this.slowMs = resolveLimit(env, 'EDGE_OTEL_TAIL_SAMPLING_SLOW_MS', this.slowMs, problems)
    const on = oneOf(read(env, 'EDGE_OTEL_TAIL_SAMPLING')?.toLowerCase(), 'EDGE_OTEL_TAIL_SAMPLING', ['on', 'off'], 'on', problems)
    for (const problem of problems) sink.warnOnce(problem)
    return on === 'on'
  }

  /** An unsampled span ended: held for its request's end, or dropped if no request holds its trace. */
  onEnd(span: FinishedSpan): void {
    this.held.get(span.context.traceId)?.push(span)
  }

  /** A request started; true if it holds its trace (the first request of an unsampled, recorded trace). */
  open(span: Span): boolean {
    const { traceId, traceFlags } = span.spanContext()
    if (!span.isRecording() || traceFlags & TraceFlags.SAMPLED || this.held.has(traceId)) return false
    this.held.set(traceId, [])
    return true
  }

  /**
   * A request ended (its SERVER span too). The request that holds the trace decides; a kept part is
   * answered with a sampled `traceresponse` to a caller that sent `traceparent`.
   */
  close(c: Context, span: Span, durationMs: number, holds: boolean): void {
    const ctx = span.spanContext()
    const kept = holds ? this.#release(ctx.traceId, durationMs > this.slowMs) : ctx.traceFlags & TraceFlags.SAMPLED
    if (!kept || !(span as Partial<FinishedSpan>).parentIsRemote) return
    const value = formatTraceparent({ ...ctx, traceFlags: ctx.traceFlags | TraceFlags.SAMPLED })
    try {
      c.res.headers.set('traceresponse', value)
    } catch {
      // Headers of a relayed fetch response are immutable: answer with a copy.
      c.res = new Response(c.res.body, c.res)
      c.res.headers.set('traceresponse', value)
    }
  }

  /** A traced fetch got its response: a sampled `traceresponse` for a held trace keeps that trace. */
  answered(response: Response): void {
    const answer = parseTraceparent(response.headers.get('traceresponse') ?? undefined)
    const held = answer && answer.traceFlags & TraceFlags.SAMPLED && this.held.get(answer.traceId)
    if (held) held.keep = true
  }

  /**
   * Ends the hold on a trace and exports its spans if the request was `slow`, a span failed, or a
   * called function kept its part. A CLIENT span failed only by a 4xx answer does not count: the
   * function that answered saw no error and dropped its part, and keeping this side alone would
   * leave the trace half-kept.
   */
  #release(traceId: string, slow: boolean): boolean {
    const held = this.held.get(traceId)
    if (!held) return false
    this.held.delete(traceId)
    const keep =
      slow ||
      held.keep ||
      held.some(
        (span) =>
          span.status.code === STATUS_ERROR &&
          !(span.kind === KIND_CLIENT && (span.attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] as number) < 500),
      )
    if (keep) for (const span of held) this.#sink?.export(span)
    return keep
  }
}

/**
 * Tail sampling, for `otel({ tailSampling: tailSampling() })`. With a ratio sampler
 * (`OTEL_TRACES_SAMPLER=parentbased_traceidratio`, `OTEL_TRACES_SAMPLER_ARG=0.1`), the requests the
 * ratio drops are held until they end, and kept anyway when a span failed (an exception, a 5xx),
 * the request took longer than `slowMs`, or a function it called kept its part. Every function of
 * the trace decides the same way, so a trace is kept whole or not at all (see the README for the
 * one case it cannot cover). Env: `EDGE_OTEL_TAIL_SAMPLING=off` turns it off,
 * `EDGE_OTEL_TAIL_SAMPLING_SLOW_MS` sets the threshold.
 *
 * @example
 * app.use(otel({ serviceName: 'orders', tailSampling: tailSampling({ slowMs: 500 }) }))
 */
export const tailSampling = (options?: TailSamplingOptions): TailSampler => new TailSampler(options)
