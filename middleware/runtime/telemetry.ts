import {
  type Attributes,
  type Counter,
  type Histogram,
  type Tracer,
  type UpDownCounter,
  context,
  metrics,
  propagation,
  trace,
} from '@opentelemetry/api'
import { FLAG_SAMPLED, VALUE_INT } from '../sdk/api-values.ts'
import {
  ATTR_ERROR_TYPE,
  ATTR_SERVICE_INSTANCE_ID,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
  ATTR_TELEMETRY_SDK_LANGUAGE,
  ATTR_TELEMETRY_SDK_NAME,
  ATTR_TELEMETRY_SDK_VERSION,
  METRIC_DB_CLIENT_OPERATION_DURATION,
  METRIC_HTTP_CLIENT_REQUEST_DURATION,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
} from '@opentelemetry/semantic-conventions'
import {
  ATTR_CLOUD_PLATFORM,
  ATTR_CLOUD_PROVIDER,
  ATTR_FAAS_INSTANCE,
  ATTR_FAAS_NAME,
  ATTR_OTEL_COMPONENT_NAME,
  ATTR_OTEL_COMPONENT_TYPE,
  METRIC_FAAS_COLDSTARTS,
  METRIC_FAAS_ERRORS,
  METRIC_FAAS_INVOCATIONS,
  METRIC_HTTP_SERVER_ACTIVE_REQUESTS,
  METRIC_OTEL_SDK_EXPORTER_METRIC_DATA_POINT_EXPORTED,
  METRIC_OTEL_SDK_EXPORTER_SPAN_EXPORTED,
  METRIC_OTEL_SDK_PROCESSOR_SPAN_PROCESSED,
} from '@opentelemetry/semantic-conventions/incubating'
import { ActiveRequests } from './active-requests.ts'
import { type OtelOptions, type ResolvedConfig, resolveConfig } from './config.ts'
import { AsyncLocalStorageContextManager } from '../sdk/context.ts'
import { ExportError, type OtlpPayload, type PayloadSource, type SendResult, type Transport, encodeMetrics, encodeTraces, jsonEncoding } from '../exporter/export.ts'
import { OtlpHttpTransport, retryPolicy } from '../exporter/http.ts'
import { type SpillQueue, isSpillQueue, spill } from '../exporter/spill.ts'
import { EdgeMeterProvider } from '../sdk/metrics/metrics.ts'
import { W3CPropagator } from '../sdk/propagation.ts'
import { createSampler } from '../sdk/trace/sampling.ts'
import type { TailSampler } from './tail-sampling.ts'
import { sensitiveKeys } from '../semconv/redact.ts'
import { EdgeTracerProvider, type FinishedSpan, errorTypeOf } from '../sdk/trace/tracer.ts'
import { LIBRARY_NAME, LIBRARY_VERSION } from '../sdk/version.ts'

/** The semconv advisory boundaries for HTTP request durations, in seconds. */
export const HTTP_DURATION_BOUNDARIES = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]

/** The semconv advisory boundaries for `db.client.operation.duration`, in seconds. */
export const DB_DURATION_BOUNDARIES = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10]

const UNCOUNTED: Counter = { add() {} }

/** A scheduled flush older than this is presumed lost with its request, and the next request takes over. */
const STALE_SCHEDULE_MS = 10_000

// Captured before any instrumentation patches the global, so exports are never traced.
export const exportFetch: typeof fetch = globalThis.fetch.bind(globalThis)

export interface LibraryInstruments {
  tracer: Tracer
  serverDuration: Histogram
  clientDuration: Histogram
  /** `db.client.operation.duration` of binding calls (KV, D1, R2, …). */
  bindingDuration: Histogram
  activeRequests: UpDownCounter
  coldStarts: Counter
  invocations: Counter
  errors: Counter
  spansExported: Counter
  pointsExported: Counter
  spilled: Counter
  replayed: Counter
  spansProcessed: Counter
}

function createInstruments(tracerProvider: EdgeTracerProvider, meterProvider: EdgeMeterProvider): LibraryInstruments {
  const meter = meterProvider.getMeter(LIBRARY_NAME, LIBRARY_VERSION)
  return {
    tracer: tracerProvider.getTracer(LIBRARY_NAME, LIBRARY_VERSION),
    serverDuration: meter.createHistogram(METRIC_HTTP_SERVER_REQUEST_DURATION, {
      unit: 's',
      advice: { explicitBucketBoundaries: HTTP_DURATION_BOUNDARIES },
    }),
    clientDuration: meter.createHistogram(METRIC_HTTP_CLIENT_REQUEST_DURATION, {
      unit: 's',
      advice: { explicitBucketBoundaries: HTTP_DURATION_BOUNDARIES },
    }),
    bindingDuration: meter.createHistogram(METRIC_DB_CLIENT_OPERATION_DURATION, {
      unit: 's',
      advice: { explicitBucketBoundaries: DB_DURATION_BOUNDARIES },
    }),
    activeRequests: meter.createUpDownCounter(METRIC_HTTP_SERVER_ACTIVE_REQUESTS, {
      unit: '{request}',
    }),
    coldStarts: meter.createCounter(METRIC_FAAS_COLDSTARTS, { unit: '{coldstart}', valueType: VALUE_INT }),
    invocations: meter.createCounter(METRIC_FAAS_INVOCATIONS, { unit: '{invocation}', valueType: VALUE_INT }),
    errors: meter.createCounter(METRIC_FAAS_ERRORS, { unit: '{error}', valueType: VALUE_INT }),
    spansExported: meter.createCounter(METRIC_OTEL_SDK_EXPORTER_SPAN_EXPORTED, {
      unit: '{span}',
      valueType: VALUE_INT,
    }),
    spilled: meter.createCounter('edge_otel.exporter.spilled', { unit: '{item}', valueType: VALUE_INT }),
    spansProcessed: meter.createCounter(METRIC_OTEL_SDK_PROCESSOR_SPAN_PROCESSED, { unit: '{span}', valueType: VALUE_INT }),
    replayed: meter.createCounter('edge_otel.exporter.replayed', { unit: '{item}', valueType: VALUE_INT }),
    pointsExported: meter.createCounter(METRIC_OTEL_SDK_EXPORTER_METRIC_DATA_POINT_EXPORTED, {
      unit: '{data_point}',
      valueType: VALUE_INT,
    }),
  }
}

/** Options each handler applies for itself, so they may differ between handlers. */
const PER_HANDLER_OPTIONS = ['encodings', 'maxRetries', 'instrumentGlobalFetch', 'transport']

/**
 * Everything one isolate holds for telemetry: the providers registered with `@opentelemetry/api`,
 * the ended spans waiting for the next flush, and the exporter. Configured on the first request,
 * when the worker's env bindings are known.
 */
export class Telemetry {
  readonly tracerProvider = new EdgeTracerProvider((span) => this.#onSpanEnd(span))
  readonly meterProvider = new EdgeMeterProvider({ temporality: 'delta', cardinalityLimit: 2000, warnOnce: (message) => this.warnOnce(message) })
  /** Unique per isolate; made on the first request, since workerd allows no randomness at startup. */
  instanceId = ''
  #instruments: LibraryInstruments | undefined

  /** The library's own tracer and instruments, made on first use to keep them off the startup path. */
  get own(): LibraryInstruments {
    return (this.#instruments ??= createInstruments(this.tracerProvider, this.meterProvider))
  }

  /** Requests counted in `http.server.active_requests`, so that every one started is also ended. */
  readonly activeRequests = new ActiveRequests(() => this.own.activeRequests)

  #coldStartTaken = false

  /** True exactly once per isolate: for its first request. */
  takeColdStart(): boolean {
    if (this.#coldStartTaken) return false
    this.#coldStartTaken = true
    return true
  }

  config: ResolvedConfig | undefined
  spillQueue: SpillQueue | undefined
  resource: Attributes = {}
  transport: Transport | undefined
  /** Tail sampling, when `otel({ tailSampling })` asks for it. */
  tail: TailSampler | undefined
  /** More payloads for each flush, from opt-in parts (logs, tail sampling), each added once. */
  readonly sources = new Set<PayloadSource>()
  /** Ended spans waiting for the next flush. */
  spans: FinishedSpan[] = []
  #droppedSpans = 0
  #scheduledAt = 0
  readonly #reported = new Set<string>()

  /** Query parameters redacted in `url.query` and `url.full`. */
  sensitiveQueryKeys: ReadonlySet<string> = sensitiveKeys()
  readonly contextManager = new AsyncLocalStorageContextManager()
  readonly propagator = new W3CPropagator()

  /** Registers the providers, context manager and propagator with `@opentelemetry/api`. */
  register(): void {
    context.setGlobalContextManager(this.contextManager)
    propagation.setGlobalPropagator(this.propagator)
    trace.setGlobalTracerProvider(this.tracerProvider)
    metrics.setGlobalMeterProvider(this.meterProvider)
  }

  /**
   * Applies env and options once per isolate, for the first handler that runs. Bad values are reported
   * once and replaced by defaults; options another handler gives differently are reported once.
   */
  configure(env: Record<string, unknown> | undefined, options: OtelOptions, transport?: Transport): void {
    if (this.config) {
      if (options !== this.#configuredWith && !this.#compared.has(options)) this.#compare(options)
      return
    }
    this.#configuredWith = options
    const { config, problems } = resolveConfig(env, options)
    for (const problem of problems) this.warnOnce(problem)
    this.config = config
    this.instanceId ||= crypto.randomUUID()
    this.tracerProvider.limits = config.spanLimits
    this.tracerProvider.sampler = createSampler(config.sampler, config.samplerRatio)
    // Tail sampling records the spans the sampler drops, to decide at each request's end.
    this.tail = options.tailSampling
    this.tracerProvider.recordUnsampled = !!this.tail?.configure(env, this)
    this.meterProvider.settings.temporality = config.temporality
    this.meterProvider.settings.cardinalityLimit = config.cardinalityLimit
    this.sensitiveQueryKeys = sensitiveKeys(config.redactQueryParameters)
    this.resource = {
      [ATTR_TELEMETRY_SDK_NAME]: LIBRARY_NAME,
      [ATTR_TELEMETRY_SDK_LANGUAGE]: 'webjs',
      [ATTR_TELEMETRY_SDK_VERSION]: LIBRARY_VERSION,
      [ATTR_CLOUD_PROVIDER]: 'cloudflare',
      [ATTR_CLOUD_PLATFORM]: 'cloudflare.workers',
      [ATTR_FAAS_NAME]: config.serviceName,
      [ATTR_FAAS_INSTANCE]: this.instanceId,
      ...config.resourceAttributes,
      // After the spread: OTEL_SERVICE_NAME and the option win over OTEL_RESOURCE_ATTRIBUTES.
      [ATTR_SERVICE_NAME]: config.serviceName,
      [ATTR_SERVICE_INSTANCE_ID]: this.instanceId,
    }
    const versionMetadata = env?.CF_VERSION_METADATA as { id?: unknown } | undefined
    if (this.resource[ATTR_SERVICE_VERSION] === undefined && typeof versionMetadata?.id === 'string') {
      this.resource[ATTR_SERVICE_VERSION] = versionMetadata.id
    }
    for (const signal of Object.values(config.signals)) {
      if (signal?.protocol === 'http/json' && !jsonEncoding()) {
        this.warnOnce(
          'OTEL_EXPORTER_OTLP_PROTOCOL="http/json" needs otel({ encodings: [otlpJson] }); exporting "http/protobuf".',
          'json',
        )
        signal.protocol = 'http/protobuf'
      }
    }
    const queue = env?.[config.spillQueueBinding]
    if (isSpillQueue(queue)) this.spillQueue = queue
    if (transport) {
      this.transport = transport
    } else if (Object.values(config.signals).some(Boolean)) {
      this.transport = new OtlpHttpTransport(config.signals, exportFetch, retryPolicy(config.retryDeadline))
    }
  }

  /** The options the isolate was configured with, and other handlers' options already compared with them. */
  #configuredWith: OtelOptions | undefined
  readonly #compared = new WeakSet<OtelOptions>()

  /** Names each option that `options` sets differently from the ones in force (equal JSON is the same), which ignores it. */
  #compare(options: OtelOptions): void {
    this.#compared.add(options)
    const inForce = (this.#configuredWith ?? {}) as Record<string, unknown>
    for (const [name, value] of Object.entries(options)) {
      if (value === undefined || PER_HANDLER_OPTIONS.includes(name) || JSON.stringify(value) === JSON.stringify(inForce[name])) continue
      this.warnOnce(
        `the ${name} option of a handler was ignored: the first handler to run configures the isolate. Give every handler the same options.`,
        name,
      )
    }
  }

  #onSpanEnd(span: FinishedSpan): void {
    if (span.context.traceFlags & FLAG_SAMPLED) this.export(span)
    else this.tail?.spanEnded(span)
  }

  /** Buffers an ended span for the next flush, or counts it dropped when the buffer is full. */
  export(span: FinishedSpan): void {
    if (this.spans.length >= (this.config?.maxQueueSize ?? 2048)) this.#droppedSpans++
    else this.spans.push(span)
  }

  /**
   * Called when a request has ended. Requests that end close together share one export:
   * the first schedules a flush after `batchDelay` and gets the promise to hand to `waitUntil`;
   * the others add to the buffer that flush will take, and get undefined. A full buffer is
   * exported at once by the request that filled it.
   */
  requestEnded(): Promise<void> | undefined {
    const config = this.config
    if (config && this.spans.length >= config.maxExportBatchSize) return this.flush()
    const now = Date.now()
    if (this.#scheduledAt && now - this.#scheduledAt < STALE_SCHEDULE_MS) return undefined
    this.#scheduledAt = now
    const delay = config?.batchDelay ?? 0
    return new Promise<void>((resolve) => setTimeout(resolve, delay)).then(() => {
      this.#scheduledAt = 0
      return this.flush()
    })
  }

  /**
   * Exports every span ended and every measurement made since the last flush, once.
   * Never rejects: failures are reported once per isolate and cause.
   */
  async flush(): Promise<void> {
    this.#expireRequests()
    const spans = this.spans
    this.spans = []
    const dropped = this.#droppedSpans
    this.#droppedSpans = 0
    // Spans the buffer took, and the ones it had to drop (reported with this flush's metrics).
    const processor = { [ATTR_OTEL_COMPONENT_TYPE]: 'batching_span_processor' }
    if (spans.length) this.own.spansProcessed.add(spans.length, processor)
    if (dropped) this.own.spansProcessed.add(dropped, { ...processor, [ATTR_ERROR_TYPE]: 'queue_full' })
    try {
      const collected = await this.meterProvider.collect()
      const config = this.config
      if (!this.transport || !config) return
      const payloads: OtlpPayload[] = []
      const { traces, metrics } = config.signals
      if (spans.length && traces) payloads.push(encodeTraces(traces.protocol, this.resource, spans))
      if (collected.length && metrics) payloads.push(encodeMetrics(metrics.protocol, this.resource, collected))
      for (const source of this.sources) {
        const payload = source(config.signals, this.resource)
        if (payload) payloads.push(payload)
      }
      await Promise.all(payloads.map((p) => this.#send(p)))
      if (dropped) {
        this.warnOnce(
          `${dropped} spans over OTEL_BSP_MAX_QUEUE_SIZE (${config.maxQueueSize}) were dropped; raise it.`,
          'buffer',
        )
      }
    } catch (error) {
      this.warnOnce(`telemetry flush failed: ${error instanceof Error ? error.message : String(error)}`, 'flush')
    }
  }

  /** Forgets requests older than EDGE_OTEL_REQUEST_TIMEOUT: the runtime dropped them, so they never end. */
  #expireRequests(): void {
    const timeout = this.config?.requestTimeout
    if (!timeout) return
    const now = Date.now()
    this.tail?.expire(now, timeout)
    const expired = this.activeRequests.expire(now, timeout)
    if (expired) {
      this.warnOnce(
        `${expired} requests outlived EDGE_OTEL_REQUEST_TIMEOUT (${timeout} ms), dropped by the runtime (client gone, handler hung); they no longer count as active.`,
        'expired',
      )
    }
  }

  /**
   * Sends one payload and counts its items as exported, rejected (partial success) or failed.
   * Counted now, exported with the next flush: a failed export cannot report itself.
   */
  async #send(p: OtlpPayload): Promise<void> {
    const attributes: Attributes = {
      [ATTR_OTEL_COMPONENT_TYPE]: `otlp_http${p.contentType === 'application/json' ? '_json' : ''}_${p.signal === 'traces' ? 'span' : p.signal === 'logs' ? 'log' : 'metric'}_exporter`,
      [ATTR_OTEL_COMPONENT_NAME]: `${LIBRARY_NAME}/${p.signal}`,
    }
    // Log exports are not counted here (the logs module counts processed records).
    const counter = p.signal === 'traces' ? this.own.spansExported : p.signal === 'metrics' ? this.own.pointsExported : UNCOUNTED
    let result: SendResult | void
    try {
      result = await this.transport!.send(p)
    } catch (reason) {
      return this.#keepOrDrop(p, reason, counter, attributes)
    }
    const rejected = Math.min(p.items, result?.rejected ?? 0)
    if (rejected > 0) {
      this.warnOnce(`the collector rejected ${rejected} of ${p.items} ${p.signal} items: ${result?.message}`, `${p.signal}:rejected`)
      counter.add(rejected, { ...attributes, [ATTR_ERROR_TYPE]: 'rejected' })
    }
    if (p.items > rejected) counter.add(p.items - rejected, attributes)
  }

  /**
   * A batch the collector did not take: if the collector was unavailable and a spill queue is
   * bound, the batch goes there for `replayTelemetry` to send later; otherwise it is dropped.
   * Either way it is counted and reported once.
   */
  async #keepOrDrop(p: OtlpPayload, reason: unknown, counter: Counter, attributes: Attributes): Promise<void> {
    const type = reason instanceof ExportError ? reason.type : errorTypeOf(reason)
    const message = reason instanceof Error ? reason.message : String(reason)
    if (this.spillQueue && reason instanceof ExportError && reason.retryable) {
      try {
        await spill(this.spillQueue, p)
        this.own.spilled.add(p.items, attributes)
        this.warnOnce(`export of ${p.signal} failed (${message}); spilled to the queue for replay.`, `${p.signal}:spill`)
        return
      } catch (error) {
        this.warnOnce(`spilling ${p.signal} failed (${String(error)}).`, `${p.signal}:spill-failed`)
      }
    }
    counter.add(p.items, { ...attributes, [ATTR_ERROR_TYPE]: type })
    this.warnOnce(
      `export of ${p.signal} failed (${message}); ${p.items} items were dropped.${reason instanceof ExportError && reason.retryable ? ` Bind a Queue as ${this.config?.spillQueueBinding} to keep them.` : ''}`,
      `${p.signal}:${type}`,
    )
  }

  warnOnce(message: string, key = message): void {
    if (this.#reported.has(key)) return
    this.#reported.add(key)
    console.warn(`[${LIBRARY_NAME}] ${message}`)
  }

  /** Forgets configuration and buffered data; for tests that reconfigure one isolate. */
  reset(): void {
    this.config = undefined
    this.#configuredWith = undefined
    this.transport = undefined
    this.spans = []
    this.tail = undefined
    this.#scheduledAt = 0
    this.#reported.clear()
  }
}

/** The isolate's one telemetry runtime, registered with `@opentelemetry/api` on import. */
export const telemetry = new Telemetry()
telemetry.register()
