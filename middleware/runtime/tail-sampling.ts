import type { Attributes, Span } from '@opentelemetry/api'
import { ATTR_HTTP_RESPONSE_STATUS_CODE } from '@opentelemetry/semantic-conventions'
import { FLAG_SAMPLED, KIND_CLIENT, STATUS_ERROR } from '../sdk/api-values.ts'
import { oneOf, read, resolveLimit } from './env.ts'
import { type OtlpPayload, type PayloadSource, type Signal, payload } from '../exporter/export.ts'
import { encodeTracesProto } from '../exporter/proto/encode.ts'
import { formatTraceparent, parseTraceparent } from '../sdk/propagation.ts'
import type { FinishedSpan } from '../sdk/trace/tracer.ts'
import { warnOnce } from './warnings.ts'

export interface TailSamplingOptions {
  /**
   * `EDGE_OTEL_TAIL_SAMPLING_SLOW_MS`: a request slower than this many ms is kept. Default 1000.
   * The env binding wins, so the threshold can change without a deploy.
   */
  slowMs?: number
}

/** Request header: "hand your spans of this trace back to me"; its value is the shared key. */
const HAND_BACK = 'edge-otel-hand-back'
/** Response header with the handed-back spans: `keep;items;base64 ExportTraceServiceRequest`. */
const HANDED = 'edge-otel-spans'
/** Spans one request may hold for tail sampling (the spec's default span queue size). */
const MAX_HELD_SPANS = 2048
/**
 * Past this many encoded bytes a function decides for itself instead: in base64, with its prefix, the
 * header stays under 16 KiB (the per-header limit Cloudflare once documented; today's is 128 KB in all).
 */
const MAX_HANDED_BYTES = 12_000
/** Decisions remembered after their request ended, for spans that end later (in `waitUntil`). */
const MAX_DECIDED = 1024
/** Traces held at once; past it the oldest is decided early (kept), so a flood of requests that never end cannot grow it. */
export const MAX_HELD_TRACES = 1024

/** Spans held for one trace while requests of it run in this isolate. */
interface HeldTrace {
  /**
   * The root span of each request, batch or cron run of this trace that has not ended, and whether
   * its caller asked for the spans back. The last one to end decides for the whole trace.
   */
  rootSpans: Map<Span, boolean>
  spans: FinishedSpan[]
  /** A span failed, a request was slow, or a called function kept its part: the trace is kept. */
  keep: boolean
  /** Encoded spans called functions handed back, and how many spans they hold. */
  handed: Uint8Array[]
  handedItems: number
  /** When its first request started (ms since the epoch). */
  since: number
}

/** Sets a header on the response of the request that ended (the middleware's; a cron run has none). */
export type ResponseHeaderSetter = (name: string, value: string) => void

/** What the telemetry runtime gives tail sampling. */
export interface TailSink {
  /** Buffers a kept span for the next flush. */
  export(span: FinishedSpan): void
  readonly resource: Readonly<Attributes>
  /** Adds a payload maker the flush calls: how handed-back spans get exported. */
  addSource(source: PayloadSource): void
}

const failed = (span: FinishedSpan) =>
  span.status.code === STATUS_ERROR && !(span.kind === KIND_CLIENT && (span.attributes[ATTR_HTTP_RESPONSE_STATUS_CODE] as number) < 500)

/** The span as exported once its trace is kept: the sampled flag set, as the head sampler would have. */
const sampled = (span: FinishedSpan): FinishedSpan =>
  span.context.traceFlags & FLAG_SAMPLED ? span : { ...span, context: { ...span.context, traceFlags: span.context.traceFlags | FLAG_SAMPLED } }

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0))
  let at = 0
  for (const chunk of chunks) {
    out.set(chunk, at)
    at += chunk.length
  }
  return out
}

function toBase64(bytes: Uint8Array): string {
  let text = ''
  for (const b of bytes) text += String.fromCharCode(b)
  return btoa(text)
}

/** Compares two strings in time that depends on their length only. */
function sameKey(a: string | null, b: string): boolean {
  if (a === null || a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i)
  return diff === 0
}

/**
 * Holds the spans of each request the head sampler did not sample, and decides at the request's end:
 * kept if a span failed, the request was slow, or a function it called kept its part; dropped
 * otherwise. A function called through a service binding by a function that shares its key hands its
 * spans back in the response instead of deciding, so the entry function decides for the whole trace.
 * Without the key, a kept part is announced to the caller in `traceresponse`, so the caller keeps its part.
 */
export class TailSampler {
  /** @internal */
  readonly held = new Map<string, HeldTrace>()
  /** The traces kept by the last `MAX_DECIDED` decisions, oldest first. */
  readonly #kept = new Set<string>()
  /** @internal */
  slowMs: number
  /** `EDGE_OTEL_TAIL_SAMPLING`: off, requests end as the head sampler decided. */
  #on = false
  #key: string | undefined
  #sink: TailSink | undefined
  #handed: Uint8Array[] = []
  #handedItems = 0

  /** @internal */
  constructor(options: TailSamplingOptions = {}) {
    this.slowMs = options.slowMs ?? 1000
  }

  /** Applies `EDGE_OTEL_TAIL_SAMPLING` (on/off), `..._SLOW_MS` and `..._KEY`; false when turned off. @internal */
  configure(env: Record<string, unknown> | undefined, sink: TailSink): boolean {
    this.#sink = sink
    const problems: string[] = []
    this.slowMs = resolveLimit(env, 'EDGE_OTEL_TAIL_SAMPLING_SLOW_MS', this.slowMs, problems)
    const on = oneOf(read(env, 'EDGE_OTEL_TAIL_SAMPLING')?.toLowerCase(), 'EDGE_OTEL_TAIL_SAMPLING', ['on', 'off'], 'on', problems)
    const key = read(env, 'EDGE_OTEL_TAIL_SAMPLING_KEY')
    this.#key = key && key.length >= 16 ? key : undefined
    if (key && !this.#key) {
      problems.push(
        'EDGE_OTEL_TAIL_SAMPLING_KEY is shorter than 16 characters, so called functions decide for themselves. ' +
          'Set the same random secret on every function: npx wrangler secret put EDGE_OTEL_TAIL_SAMPLING_KEY',
      )
    }
    for (const problem of problems) warnOnce(problem)
    sink.addSource(this.#collect)
    this.#on = on === 'on'
    return this.#on
  }

  /**
   * An unsampled span ended: held for its request's end, exported if its trace was kept before it ended
   * (a span ended in `waitUntil`), dropped otherwise. One trace holds at most `MAX_HELD_SPANS` spans
   * besides its request's own SERVER span; the rest are dropped and reported once.
   * @internal
   */
  spanEnded(span: FinishedSpan): void {
    const held = this.held.get(span.context.traceId)
    if (!held) {
      if (this.#kept.has(span.context.traceId)) this.#sink?.export(sampled(span))
      return
    }
    if (failed(span)) held.keep = true
    if (held.spans.length < MAX_HELD_SPANS || span.parentIsRemote || !span.parentSpanId) held.spans.push(span)
    else warnOnce(`a request held more than ${MAX_HELD_SPANS} spans for tail sampling; the rest were dropped.`)
  }

  /**
   * A request, batch or cron run of an unsampled, recorded trace started: its root span joins the
   * trace's hold (concurrent requests of one trace share it). A caller that sent the shared key gets
   * the spans back instead of a decision.
   * @internal
   */
  open(span: Span, headers?: Headers): void {
    const { traceId, traceFlags } = span.spanContext()
    if (!span.isRecording() || traceFlags & FLAG_SAMPLED || this.#kept.has(traceId)) return
    const handBack = this.#key !== undefined && sameKey(headers?.get(HAND_BACK) ?? null, this.#key)
    let held = this.held.get(traceId)
    if (!held) {
      if (this.held.size >= MAX_HELD_TRACES) this.#expire(this.held.keys().next().value!, 'more than ' + MAX_HELD_TRACES + ' traces were held at once')
      held = { rootSpans: new Map(), spans: [], keep: false, handed: [], handedItems: 0, since: Date.now() }
      this.held.set(traceId, held)
    }
    held.rootSpans.set(span, handBack)
  }

  /**
   * Decides early, and keeps, every trace held longer than `maxAge` ms: its requests never ended
   * (the runtime dropped them: a client that went away, a handler that hung). Called at each flush.
   * @internal
   */
  expire(now: number, maxAge: number): void {
    for (const [traceId, held] of this.held) {
      if (now - held.since < maxAge) break
      this.#expire(traceId, `a request held its trace for more than ${maxAge} ms (EDGE_OTEL_REQUEST_TIMEOUT)`)
    }
  }

  #expire(traceId: string, why: string): void {
    this.#keep(traceId, this.held.get(traceId)!)
    warnOnce(`${why}, so tail sampling kept what it held of that trace without waiting for its end.`, why)
  }

  /** Exports what the trace holds, with what called functions handed back, and remembers the decision. */
  #keep(traceId: string, held: HeldTrace): void {
    this.held.delete(traceId)
    for (const s of held.spans) this.#sink?.export(sampled(s))
    this.#handed.push(...held.handed)
    this.#handedItems += held.handedItems
    this.#kept.add(traceId)
    if (this.#kept.size > MAX_DECIDED) this.#kept.delete(this.#kept.values().next().value!)
  }

  /**
   * An outbound request of a traced fetch. Through a service binding, for a held trace, it asks the
   * called function to hand its spans back; the key never leaves otherwise (not even when your code
   * forwards the incoming request's headers).
   * @internal
   */
  outbound(headers: Headers, traceId: string, binding: boolean): void {
    headers.delete(HAND_BACK)
    if (binding && this.#key && this.held.has(traceId)) headers.set(HAND_BACK, this.#key)
  }

  /**
   * The response of a traced fetch: spans handed back through a service binding join the held trace
   * (and leave the response), and a sampled `traceresponse` for a held trace keeps it.
   * @internal
   */
  answered(response: Response, traceId: string, binding: boolean): Response {
    try {
      return this.#answered(response, traceId, binding)
    } catch (error) {
      warnOnce(`tail sampling could not read a response: ${String(error)}`)
      return response
    }
  }

  #answered(response: Response, traceId: string, binding: boolean): Response {
    const held = this.held.get(traceId)
    const handed = response.headers.get(HANDED)
    // Only a bound function we sent the key to hands spans back; anything else keeps its headers.
    if (handed !== null && binding && this.#key) {
      response = new Response(response.body, response)
      response.headers.delete(HANDED)
      const [keep, items, data] = handed.split(';')
      try {
        const bytes = Uint8Array.from(atob(data ?? ''), (c) => c.charCodeAt(0))
        if (held) {
          held.handed.push(bytes)
          held.handedItems += Number(items) || 0
          if (keep === '1') held.keep = true
        }
      } catch {
        warnOnce(`a called function handed back spans that are not base64; they were dropped.`)
      }
    }
    const answer = parseTraceparent(response.headers.get('traceresponse') ?? undefined)
    const kept = answer && answer.traceFlags & FLAG_SAMPLED && this.held.get(answer.traceId)
    if (kept) kept.keep = true
    return response
  }

  /**
   * A request, batch or cron run ended (its root span too). A kept trace is exported at once; a trace
   * that is not (yet) kept waits for the last of its requests in this isolate, and is dropped then.
   * A request whose caller asked hands the trace's spans back instead. A kept part of a request is
   * answered with a sampled `traceresponse` to a caller that sent `traceparent`.
   * @internal
   */
  close(span: Span, answer?: ResponseHeaderSetter): void {
    if (!this.#on) return
    const ctx = span.spanContext()
    let kept = (ctx.traceFlags & FLAG_SAMPLED) === FLAG_SAMPLED || this.#kept.has(ctx.traceId)
    const held = this.held.get(ctx.traceId)
    const handBack = held?.rootSpans.get(span)
    if (held && handBack !== undefined) {
      held.rootSpans.delete(span)
      // The root span is a recording span, ended before this call.
      const { startTime, endTime } = span as unknown as FinishedSpan
      if (endTime - startTime > this.slowMs) held.keep = true
      kept = held.keep
      if (answer && handBack && this.#handBack(answer, held, kept)) {
        held.spans = []
        held.handed = []
        held.handedItems = 0
        if (!held.rootSpans.size) this.held.delete(ctx.traceId)
        return
      }
      if (kept) this.#keep(ctx.traceId, held)
      else if (!held.rootSpans.size) this.held.delete(ctx.traceId)
    }
    if (answer && kept && (span as Partial<FinishedSpan>).parentIsRemote) {
      answer('traceresponse', formatTraceparent({ ...ctx, traceFlags: ctx.traceFlags | FLAG_SAMPLED }))
    }
  }

  /** Puts the held spans (and those handed to this function) into the response; false if too large. */
  #handBack(answer: ResponseHeaderSetter, held: HeldTrace, keep: boolean): boolean {
    // Handed-back spans are exported only if the caller keeps them, so they carry the sampled flag.
    const own = held.spans.length ? [encodeTracesProto(this.#sink?.resource ?? {}, held.spans.map(sampled))] : []
    const bytes = concat([...own, ...held.handed])
    if (bytes.length > MAX_HANDED_BYTES) return false
    answer(HANDED, `${keep ? 1 : 0};${held.spans.length + held.handedItems};${toBase64(bytes)}`)
    return true
  }

  /** The flush's payload of kept spans that called functions handed back: protobuf, whatever the protocol. */
  readonly #collect = (signals: Partial<Record<Signal, unknown>>): OtlpPayload | undefined => {
    const chunks = this.#handed
    const items = this.#handedItems
    this.#handed = []
    this.#handedItems = 0
    if (!chunks.length || !signals.traces) return undefined
    return payload('traces', concat(chunks), items)
  }
}

/**
 * Tail sampling, for `otel({ tailSampling: tailSampling() })`. With a ratio sampler
 * (`OTEL_TRACES_SAMPLER=parentbased_traceidratio`, `OTEL_TRACES_SAMPLER_ARG=0.1`), the requests the
 * ratio drops are held until they end, and kept anyway when a span failed (an exception, a 5xx),
 * the request took longer than `slowMs`, or a function it called kept its part. With the same
 * `EDGE_OTEL_TAIL_SAMPLING_KEY` secret on every function, functions called through service bindings
 * hand their spans back to the caller, and the entry function decides for the whole trace.
 * Env: `EDGE_OTEL_TAIL_SAMPLING=off` turns it off, `EDGE_OTEL_TAIL_SAMPLING_SLOW_MS` sets the threshold.
 *
 * @example
 * app.use(otel({ serviceName: 'orders', tailSampling: tailSampling({ slowMs: 500 }) }))
 */
export const tailSampling = (options?: TailSamplingOptions): TailSampler => new TailSampler(options)
