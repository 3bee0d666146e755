import { type Attributes, type Context, type Link, type Span, type SpanKind, trace } from '@opentelemetry/api'
import { ATTR_FAAS_COLDSTART, ATTR_FAAS_TRIGGER } from '@opentelemetry/semantic-conventions/incubating'
import { type JsonEncoding, type Transport, useJsonEncoding } from '../exporter/export.ts'
import type { OtelOptions } from '../runtime/config.ts'
import type { ResponseHeaderSetter } from '../runtime/tail-sampling.ts'
import { telemetry } from '../runtime/telemetry.ts'
import { warnOnce } from '../runtime/warnings.ts'
import { recordFailure } from '../sdk/trace/tracer.ts'
import { instrumentGlobalFetch } from './fetch.ts'

/** Options every handler takes: `otel()`, `instrumentQueueHandler()` and `instrumentScheduled()`. */
export interface HandlerOptions extends OtelOptions {
  /** Replaces the OTLP/HTTP transport, e.g. to send elsewhere; `sdkExporters()` of `edge-otel/sdk` plugs in OpenTelemetry SDK exporters. */
  transport?: Transport
  /** `[otlpJson]` lets `OTEL_EXPORTER_OTLP_PROTOCOL=http/json` work; without it the JSON encoder is not bundled. */
  encodings?: JsonEncoding[]
}

/**
 * What a Workers handler gets as its third argument, as far as the library uses it: Cloudflare's
 * `ExecutionContext` satisfies it, and a Node, Deno or Bun project type-checks without Cloudflare's types.
 */
export interface ExecutionContextLike {
  waitUntil(promise: Promise<unknown>): void
  passThroughOnException?(): void
}

/** `faas.trigger` of a handler kind (FaaS semantic conventions). */
export type Trigger = 'http' | 'pubsub' | 'timer' | 'datasource' | 'other'

/** `{ 'faas.trigger': … }` of each trigger, frozen as first used, so the metrics key each one's series once. */
const TRIGGERS: Partial<Record<Trigger, Attributes>> = {}

/** The root span of one invocation: what it is, and what it continues. */
export interface InvocationStart {
  /** `faas.trigger` of the handler kind. */
  trigger: Trigger
  name: string
  kind: SpanKind
  attributes: Attributes
  /** The context the root span continues (an extracted caller, or the request root). */
  parent: Context
  links?: Link[]
  /** The incoming request's headers, where tail sampling may find the caller's hand-back key. */
  headers?: Headers
}

/** One request, batch or cron run, from its root span's start to its end. */
export interface Invocation {
  span: Span
  /** The context the handler runs in: the parent with the root span active. */
  context: Context
  trigger: Attributes
}

/** How an invocation ended, and where its export goes. */
export interface InvocationEnd {
  /** What the handler threw, if it did: recorded on the span (exception, `error.type`, ERROR). */
  error?: unknown
  /** `error.type` when the handler failed without throwing (a 5xx answer), already set on the span. */
  errorType?: string
  /** Sets a response header (tail sampling answers its caller in one); only requests have one. */
  answer?: ResponseHeaderSetter
  /** The platform's `waitUntil`, which keeps the isolate alive for the export. */
  waitUntil?: (promise: Promise<unknown>) => void
  /** Export now rather than with the invocations that end in the next `batchDelay` ms. */
  flushNow?: boolean
}

/**
 * What every handler does once, when it is made: applies the encodings it was given and, unless it
 * was told not to, traces global `fetch`.
 */
export function prepareHandler(options: HandlerOptions): void {
  if (options.instrumentGlobalFetch !== false) instrumentGlobalFetch()
  for (const encoding of options.encodings ?? []) useJsonEncoding(encoding)
}

/**
 * Applies a handler's options and its worker's env to the isolate, on its first invocation (later
 * ones only check that their options agree). Every handler calls it first, before `startInvocation`.
 */
export function configureInvocation(env: unknown, options: HandlerOptions): void {
  telemetry.configure(env as Record<string, unknown>, options, options.transport)
}

/**
 * Starts an invocation: starts the root span (with `faas.trigger`, and `faas.coldstart` on the
 * isolate's first invocation), and lets tail sampling hold its trace. Every handler kind starts
 * here, after `configureInvocation`, and ends in `endInvocation`.
 */
export function startInvocation(start: InvocationStart): Invocation {
  const trigger = (TRIGGERS[start.trigger] ??= Object.freeze({ [ATTR_FAAS_TRIGGER]: start.trigger }))
  const attributes = start.attributes
  attributes[ATTR_FAAS_TRIGGER] = start.trigger
  if (telemetry.takeColdStart()) {
    attributes[ATTR_FAAS_COLDSTART] = true
    telemetry.own.coldStarts.add(1, trigger)
  }
  const span = telemetry.own.tracer.startSpan(start.name, { kind: start.kind, attributes, links: start.links }, start.parent)
  telemetry.tail?.open(span, start.headers)
  return { span, context: trace.setSpan(start.parent, span), trigger }
}

/** Runs `handler` with the invocation's root span active. */
export function runInvocation<T>(invocation: Invocation, handler: () => T): T {
  return telemetry.contexts.with(invocation.context, handler)
}

/**
 * Ends an invocation: records what it threw, ends the root span, lets tail sampling decide, counts it
 * in `faas.invocations` or `faas.errors`, and schedules the export in `waitUntil` (or runs it, for a
 * caller without one). Returns the `error.type`, if it failed.
 */
export function endInvocation(invocation: Invocation, end: InvocationEnd = {}): string | undefined {
  const span = invocation.span
  let errorType = end.errorType
  if (end.error !== undefined) errorType = recordFailure(span, end.error)
  span.end()
  telemetry.tail?.close(span, end.answer)
  ;(errorType ? telemetry.own.errors : telemetry.own.invocations).add(1, invocation.trigger)
  const flushing = end.flushNow ? telemetry.flush() : telemetry.requestEnded()
  try {
    if (flushing) end.waitUntil?.(flushing)
  } catch {
    // No execution context (plain app.fetch in a test): the flush still runs.
  }
  return errorType
}

/**
 * One whole invocation of a handler that returns or throws: `configureInvocation`, `startInvocation`,
 * `runInvocation` and `endInvocation` in that order, the export in `waitUntil`. `settle` reads the
 * result onto the root span before it ends and returns an `error.type` for a failure that did not
 * throw (a 5xx response). What the handler returns or throws reaches the caller unchanged, and a
 * telemetry failure at the start lets the handler run untraced.
 */
export async function traceInvocation<T>(
  env: unknown,
  options: HandlerOptions,
  start: InvocationStart,
  waitUntil: ((promise: Promise<unknown>) => void) | undefined,
  handler: () => T | Promise<T>,
  settle?: (span: Span, result: T) => string | undefined,
): Promise<T> {
  let invocation: Invocation
  try {
    configureInvocation(env, options)
    invocation = startInvocation(start)
  } catch (error) {
    warnOnce(`${start.name} ran untraced: ${String(error)}`, 'start')
    return handler()
  }
  let error: unknown
  let errorType: string | undefined
  try {
    const result = await runInvocation(invocation, handler)
    errorType = settle?.(invocation.span, result)
    return result
  } catch (thrown) {
    error = thrown
    throw thrown
  } finally {
    endInvocation(invocation, { error, errorType, waitUntil })
  }
}
