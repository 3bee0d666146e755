// The library's spans as the SDK's `Span` and `ReadableSpan`, and its resource as the SDK's `Resource`.
import type { Attributes, AttributeValue, Exception, HrTime, Link, Span, SpanContext, SpanStatus, TimeInput } from '@opentelemetry/api'
import type { FinishedSpan } from '../../sdk/trace/tracer.ts'
import type { SdkInstrumentationScope, SdkReadableSpan, SdkResource, SdkTimedEvent } from './types.ts'

/** ms since the epoch (with a fraction) as `[seconds, nanoseconds]`, to the nanosecond the built-in encoders write. */
export function hrTime(millis: number): HrTime {
  const whole = Math.floor(millis)
  const sub = Math.min(999_999, Math.round((millis - whole) * 1e6))
  return [Math.floor(whole / 1000), (whole % 1000) * 1e6 + sub]
}

/** A resource of fixed attributes, shaped like the SDK's. */
export function sdkResource(attributes: Attributes): SdkResource {
  return {
    attributes,
    asyncAttributesPending: false,
    merge: (other) => sdkResource({ ...attributes, ...other?.attributes }),
    getRawAttributes: () => Object.entries(attributes),
  }
}

/**
 * One of the library's spans as the SDK's `Span` and `ReadableSpan`: live while the span runs (what
 * `onStart` may change, it changes on the span), converted once when it has ended. The same object
 * reaches `onStart`, `onEnd` and the span exporter.
 */
export class SdkSpanView implements Span, SdkReadableSpan {
  readonly #span: Span & FinishedSpan
  readonly #resource: () => SdkResource
  #events: SdkTimedEvent[] | undefined
  #links: Link[] | undefined
  #times: [HrTime, HrTime, HrTime] | undefined

  constructor(span: Span & FinishedSpan, resource: () => SdkResource) {
    this.#span = span
    this.#resource = resource
  }

  readonly spanContext = (): SpanContext => this.#span.context

  get name(): string {
    return this.#span.name
  }

  get kind() {
    return this.#span.kind
  }

  get parentSpanContext(): SpanContext | undefined {
    const span = this.#span
    if (span.parentSpanId === undefined) return undefined
    return { traceId: span.context.traceId, spanId: span.parentSpanId, traceFlags: span.context.traceFlags, isRemote: span.parentIsRemote }
  }

  get status(): SpanStatus {
    return this.#span.status
  }

  get attributes(): Attributes {
    return this.#span.attributes
  }

  /** By its end time, which copies of a span (tail sampling exports those) keep too. */
  get ended(): boolean {
    return this.#span.endTime > 0
  }

  get resource(): SdkResource {
    return this.#resource()
  }

  get instrumentationScope(): SdkInstrumentationScope {
    return this.#span.scope
  }

  get droppedAttributesCount(): number {
    return this.#span.droppedAttributes
  }

  get droppedEventsCount(): number {
    return this.#span.droppedEvents
  }

  get droppedLinksCount(): number {
    return this.#span.droppedLinks
  }

  /** Start, end and duration; the end and duration are zero while the span runs. */
  #timesNow(): [HrTime, HrTime, HrTime] {
    if (this.#times) return this.#times
    const { startTime, endTime } = this.#span
    const times: [HrTime, HrTime, HrTime] = [hrTime(startTime), endTime ? hrTime(endTime) : [0, 0], endTime ? hrTime(endTime - startTime) : [0, 0]]
    if (this.ended) this.#times = times
    return times
  }

  get startTime(): HrTime {
    return this.#timesNow()[0]
  }

  get endTime(): HrTime {
    return this.#timesNow()[1]
  }

  get duration(): HrTime {
    return this.#timesNow()[2]
  }

  get events(): SdkTimedEvent[] {
    if (this.#events) return this.#events
    const events = this.#span.events.map((e) => ({ name: e.name, time: hrTime(e.time), attributes: e.attributes, droppedAttributesCount: e.droppedAttributes }))
    if (this.ended) this.#events = events
    return events
  }

  get links(): Link[] {
    if (this.#links) return this.#links
    const links = this.#span.links.map((l) => ({ context: l.context, attributes: l.attributes, droppedAttributesCount: l.droppedAttributes }))
    if (this.ended) this.#links = links
    return links
  }

  setAttribute(key: string, value: AttributeValue | undefined): this {
    this.#span.setAttribute(key, value as AttributeValue)
    return this
  }

  setAttributes(attributes: Attributes): this {
    this.#span.setAttributes(attributes)
    return this
  }

  addEvent(name: string, attributesOrTime?: Attributes | TimeInput, time?: TimeInput): this {
    this.#span.addEvent(name, attributesOrTime, time)
    return this
  }

  addLink(link: Link): this {
    this.#span.addLink(link)
    return this
  }

  addLinks(links: Link[]): this {
    this.#span.addLinks(links)
    return this
  }

  setStatus(status: SpanStatus): this {
    this.#span.setStatus(status)
    return this
  }

  updateName(name: string): this {
    this.#span.updateName(name)
    return this
  }

  end(endTime?: TimeInput): void {
    this.#span.end(endTime)
  }

  isRecording(): boolean {
    return this.#span.isRecording()
  }

  recordException(exception: Exception, time?: TimeInput): void {
    this.#span.recordException(exception, time)
  }
}
