import {
  type Attributes,
  type AttributeValue,
  type Context,
  type Exception,
  type Link,
  type Span,
  type SpanContext,
  type SpanOptions,
  type SpanStatus,
  type TimeInput,
  type Tracer,
  type TracerProvider,
  context as contextApi,
  type SpanKind,
  trace,
} from '@opentelemetry/api'
import { ATTR_ERROR_TYPE, ATTR_EXCEPTION_MESSAGE, ATTR_EXCEPTION_STACKTRACE, ATTR_EXCEPTION_TYPE } from '@opentelemetry/semantic-conventions'
import { FLAG_SAMPLED, KIND_INTERNAL, STATUS_ERROR, STATUS_OK, STATUS_UNSET } from '../api-values.ts'
import { now, toMillis } from '../clock.ts'
import { newSpanId, newTraceId } from './ids.ts'
import { type SpanLimits, defaultSpanLimits, limitAttributes, putAttribute } from './limits.ts'
import { type Sampler, createSampler } from './sampling.ts'

/** The W3C Level 2 "random trace-id" flag: our trace ids are random, so new traces carry it. */
export const TRACE_FLAG_RANDOM = 0x02

export interface InstrumentationScope {
  name: string
  version?: string
  schemaUrl?: string
  attributes?: Attributes
}

/** What `getTracer` and `getMeter` take besides name and version: the API's options and the spec's scope attributes. */
export interface ScopeOptions {
  schemaUrl?: string
  attributes?: Attributes
}

export interface SpanEvent {
  name: string
  time: number
  attributes: Attributes
  droppedAttributes: number
}

export interface SpanLink {
  context: SpanContext
  attributes: Attributes
  droppedAttributes: number
}

/** Everything an exporter needs of an ended span. Times are ms since the epoch. */
export interface FinishedSpan {
  readonly name: string
  readonly kind: SpanKind
  readonly context: SpanContext
  readonly parentSpanId: string | undefined
  /** Whether the parent came from another process (a propagated header). */
  readonly parentIsRemote: boolean
  readonly scope: InstrumentationScope
  readonly startTime: number
  readonly endTime: number
  readonly attributes: Attributes
  readonly droppedAttributes: number
  readonly events: SpanEvent[]
  readonly droppedEvents: number
  readonly links: SpanLink[]
  readonly droppedLinks: number
  readonly status: SpanStatus
}

/** `error.type` for a thrown value: the error's name (its class for plain subclasses), else `_OTHER`. */
export function errorTypeOf(error: unknown): string {
  return (error instanceof Error && (error.name || error.constructor.name)) || '_OTHER'
}

/**
 * Marks `span` as failed by a thrown `error`: an exception event, `error.type` and status ERROR.
 * Returns the `error.type`, for the metric that goes with the span.
 */
export function recordFailure(span: Span, error: unknown): string {
  const type = errorTypeOf(error)
  span.recordException(error as Exception)
  span.setAttribute(ATTR_ERROR_TYPE, type)
  span.setStatus({ code: STATUS_ERROR, message: error instanceof Error ? error.message : String(error) })
  return type
}

/** Shared by spans with no events or links, so most spans allocate neither array. */
const NONE = Object.freeze([]) as unknown as never[]

/** Receives each span once, when it ends. */
export type SpanSink = (span: FinishedSpan) => void

/** A span that records what it is given, and hands itself to its provider's sink when it ends. */
export class RecordingSpan implements Span, FinishedSpan {
  readonly attributes: Attributes = {}
  events: SpanEvent[] = NONE
  links: SpanLink[] = NONE
  droppedAttributes = 0
  droppedEvents = 0
  droppedLinks = 0
  status: SpanStatus = { code: STATUS_UNSET }
  endTime = 0
  #attributeCount = 0
  #ended = false

  name: string
  readonly kind: SpanKind
  readonly context: SpanContext
  readonly parentSpanId: string | undefined
  readonly parentIsRemote: boolean
  readonly scope: InstrumentationScope
  readonly startTime: number
  readonly #limits: SpanLimits
  readonly #sink: SpanSink

  constructor(
    name: string,
    kind: SpanKind,
    context: SpanContext,
    parentSpanId: string | undefined,
    parentIsRemote: boolean,
    scope: InstrumentationScope,
    startTime: number,
    limits: SpanLimits,
    sink: SpanSink,
  ) {
    this.name = name
    this.kind = kind
    this.context = context
    this.parentSpanId = parentSpanId
    this.parentIsRemote = parentIsRemote
    this.scope = scope
    this.startTime = startTime
    this.#limits = limits
    this.#sink = sink
  }

  spanContext(): SpanContext {
    return this.context
  }

  setAttribute(key: string, value: AttributeValue | undefined): this {
    if (this.#ended) return this
    const count = putAttribute(this.attributes, key, value, this.#limits, this.#attributeCount)
    if (count < 0) this.droppedAttributes++
    else this.#attributeCount = count
    return this
  }

  setAttributes(attributes: Attributes): this {
    for (const key in attributes) this.setAttribute(key, attributes[key])
    return this
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    if (this.#ended) return this
    if (this.events.length >= this.#limits.eventCount) {
      this.droppedEvents++
      return this
    }
    let attributes: Attributes = {}
    if (typeof attributesOrTime === 'number' || attributesOrTime instanceof Date || Array.isArray(attributesOrTime)) {
      time = attributesOrTime
    } else if (attributesOrTime) {
      attributes = attributesOrTime
    }
    if (this.events === NONE) this.events = []
    this.events.push({ name, time: toMillis(time), ...limitAttributes(attributes, this.#limits) })
    return this
  }

  addLink(link: Link): this {
    if (this.#ended) return this
    if (this.links.length >= this.#limits.linkCount) this.droppedLinks++
    else {
      if (this.links === NONE) this.links = []
      this.links.push({ context: link.context, ...limitAttributes(link.attributes, this.#limits) })
    }
    return this
  }

  addLinks(links: Link[]): this {
    for (const link of links) this.addLink(link)
    return this
  }

  setStatus(status: SpanStatus): this {
    if (this.#ended || this.status.code === STATUS_OK) return this
    if (status.code === STATUS_UNSET) return this
    this.status = status.code === STATUS_ERROR ? { code: status.code, message: status.message } : { code: status.code }
    return this
  }

  updateName(name: string): this {
    if (!this.#ended) this.name = name
    return this
  }

  end(endTime?: TimeInput): void {
    if (this.#ended) return
    this.#ended = true
    this.endTime = Math.max(toMillis(endTime), this.startTime)
    this.#sink(this)
  }

  isRecording(): boolean {
    return !this.#ended
  }

  recordException(exception: Exception, time?: TimeInput): void {
    const attributes: Attributes = {}
    if (typeof exception === 'string') {
      attributes[ATTR_EXCEPTION_MESSAGE] = exception
    } else if (exception) {
      const name = exception.name || (exception as { constructor?: { name?: string } }).constructor?.name
      if (name) attributes[ATTR_EXCEPTION_TYPE] = name
      if (exception.message) attributes[ATTR_EXCEPTION_MESSAGE] = exception.message
      if (exception.stack) attributes[ATTR_EXCEPTION_STACKTRACE] = exception.stack
    }
    this.addEvent('exception', attributes, time)
  }
}

/** Starts spans for one instrumentation scope. */
export class EdgeTracer implements Tracer {
  readonly #scope: InstrumentationScope
  readonly #provider: EdgeTracerProvider

  constructor(scope: InstrumentationScope, provider: EdgeTracerProvider) {
    this.#scope = scope
    this.#provider = provider
  }

  startSpan(name: string, options: SpanOptions = {}, ctx: Context = contextApi.active()): Span {
    let parent = options.root ? undefined : trace.getSpanContext(ctx)
    if (parent && !trace.isSpanContextValid(parent)) parent = undefined
    const provider = this.#provider
    const traceId = parent?.traceId ?? newTraceId()
    const sampled = provider.sampler(parent, traceId)
    // The sampled bit is this span's decision; the random bit (and any other) comes from the parent.
    const traceFlags = ((parent?.traceFlags ?? TRACE_FLAG_RANDOM) & ~FLAG_SAMPLED) | (sampled ? FLAG_SAMPLED : 0)
    const spanContext: SpanContext = { traceId, spanId: newSpanId(), traceFlags, traceState: parent?.traceState }
    // Tail sampling records unsampled spans too, so the request's end can still decide to keep them.
    if (!sampled && !provider.recordUnsampled) return trace.wrapSpanContext(spanContext)
    const span = new RecordingSpan(
      name,
      options.kind ?? KIND_INTERNAL,
      spanContext,
      parent?.spanId,
      parent?.isRemote === true,
      this.#scope,
      options.startTime === undefined ? now() : toMillis(options.startTime),
      provider.limits,
      provider.sink,
    )
    if (options.attributes) span.setAttributes(options.attributes)
    if (options.links) span.addLinks(options.links)
    return span
  }

  startActiveSpan<F extends (span: Span) => unknown>(name: string, ...args: unknown[]): ReturnType<F> {
    const fn = args[args.length - 1] as F
    const options = (args.length > 1 ? args[0] : undefined) as SpanOptions | undefined
    const ctx = (args.length > 2 ? args[1] : contextApi.active()) as Context
    const span = this.startSpan(name, options, ctx)
    return contextApi.with(trace.setSpan(ctx, span), () => fn(span)) as ReturnType<F>
  }
}

/** Creates spans that hand themselves to `sink` when they end. */
export class EdgeTracerProvider implements TracerProvider {
  readonly #tracers = new Map<string, Tracer>()
  limits: SpanLimits = defaultSpanLimits
  /** `OTEL_TRACES_SAMPLER`; parent-based always-on until configured. */
  sampler: Sampler = createSampler('parentbased_always_on', 1)
  /** Tail sampling: unsampled spans are recorded too, for the request's end to keep or drop. */
  recordUnsampled = false

  /** Read as each span starts, so that `observeSpans` can wrap it. */
  sink: SpanSink

  constructor(sink: SpanSink) {
    this.sink = sink
  }

  getTracer(name: string, version?: string, options?: ScopeOptions): Tracer {
    const key = JSON.stringify([name, version, options])
    let tracer = this.#tracers.get(key)
    if (!tracer) {
      tracer = new EdgeTracer({ name, version, ...options }, this)
      this.#tracers.set(key, tracer)
    }
    return tracer
  }
}
