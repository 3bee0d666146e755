// The isolate's telemetry runtime, wired: the providers registered with `@opentelemetry/api`, the
// configuration applied once per isolate, and the parts that do the work (instruments.ts, batch.ts,
// pipeline.ts, warnings.ts). What it holds is read through getters; only its own methods change it.
import { type Attributes, type ContextManager, type MeterProvider, type TracerProvider, context, metrics, propagation, trace } from '@opentelemetry/api'
import { FLAG_SAMPLED } from '../sdk/api-values.ts'
import {
  ATTR_SERVICE_INSTANCE_ID,
  ATTR_SERVICE_NAME,
  ATTR_SERVICE_VERSION,
  ATTR_TELEMETRY_SDK_LANGUAGE,
  ATTR_TELEMETRY_SDK_NAME,
  ATTR_TELEMETRY_SDK_VERSION,
} from '@opentelemetry/semantic-conventions'
import { ATTR_CLOUD_PLATFORM, ATTR_CLOUD_PROVIDER, ATTR_FAAS_INSTANCE, ATTR_FAAS_NAME } from '@opentelemetry/semantic-conventions/incubating'
import { ActiveRequests } from './active-requests.ts'
import { createBatch } from './batch.ts'
import { type FlushableProvider, type OtelOptions, type ResolvedConfig, resolveConfig } from './config.ts'
import { type LibraryInstruments, createInstruments } from './instruments.ts'
import { createPipeline } from './pipeline.ts'
import { AsyncLocalStorageContextManager } from '../sdk/context.ts'
import { type PayloadSource, type Transport, jsonEncoding } from '../exporter/export.ts'
import { OtlpHttpTransport, retryPolicy } from '../exporter/http.ts'
import { type SpillQueue, isSpillQueue } from '../exporter/spill.ts'
import { EdgeMeterProvider } from '../sdk/metrics/metrics.ts'
import { W3CPropagator } from '../sdk/propagation.ts'
import { createSampler } from '../sdk/trace/sampling.ts'
import type { TailSampler } from './tail-sampling.ts'
import { sensitiveKeys } from '../semconv/redact.ts'
import { EdgeTracerProvider, type FinishedSpan } from '../sdk/trace/tracer.ts'
import { LIBRARY_NAME, LIBRARY_VERSION } from '../sdk/version.ts'
import { forgetWarnings, warnOnce } from './warnings.ts'

// Captured before any instrumentation patches the global, so exports are never traced.
export const exportFetch: typeof fetch = globalThis.fetch.bind(globalThis)

/** Whether two option values write the same JSON; a value that cannot be written (a cycle) is never the same. */
function sameJson(a: unknown, b: unknown): boolean {
  try {
    return JSON.stringify(a) === JSON.stringify(b)
  } catch {
    return false
  }
}

/** Options each handler applies for itself, so they may differ between handlers. */
const PER_HANDLER_OPTIONS = ['encodings', 'maxRetries', 'instrumentGlobalFetch', 'transport']

/** What `adapt` may put in place of the resource and the transport that `configure` set up. */
export interface Adapted {
  resource?: Attributes
  transport?: Transport
}

/**
 * Everything one isolate holds for telemetry: the providers registered with `@opentelemetry/api`,
 * its configuration, resource and transport, and the batch and flush pipeline that export what it
 * records. Configured on the first request, when the worker's env bindings are known.
 */
export class Telemetry {
  readonly tracerProvider = new EdgeTracerProvider((span) => this.#onSpanEnd(span))
  readonly meterProvider = new EdgeMeterProvider({ temporality: 'delta', cardinalityLimit: 2000, warnOnce: (message) => warnOnce(message) })
  readonly contextManager = new AsyncLocalStorageContextManager()
  readonly propagator = new W3CPropagator()
  #instruments: LibraryInstruments | undefined

  /** The providers the library records with: its own, or those passed as options. */
  #tracers: TracerProvider = this.tracerProvider
  #meters: MeterProvider = this.meterProvider
  /** Providers passed as options, flushed with each flush. */
  #passed: FlushableProvider[] = []

  /** The library's own tracer and instruments, made on first use to keep them off the startup path. */
  get own(): LibraryInstruments {
    return (this.#instruments ??= createInstruments(this.#tracers, this.#meters))
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

  #config: ResolvedConfig | undefined
  /** Unique per isolate; made on the first request, since workerd allows no randomness at startup. */
  #instanceId = ''
  #resource: Attributes = {}
  #transport: Transport | undefined
  #spillQueue: SpillQueue | undefined
  #tail: TailSampler | undefined
  #sensitiveQueryKeys: ReadonlySet<string> = sensitiveKeys()
  readonly #batch = createBatch(() => this.#config, () => this.flush())
  readonly #pipeline = createPipeline(this)

  /** The isolate's configuration: undefined until the first handler has configured it. */
  get config(): Readonly<ResolvedConfig> | undefined {
    return this.#config
  }

  /** The resource every signal is exported with. */
  get resource(): Readonly<Attributes> {
    return this.#resource
  }

  /** What the flush sends with: the handler's `transport` option, or OTLP/HTTP to the configured endpoints. */
  get transport(): Transport | undefined {
    return this.#transport
  }

  /** The Queue a batch the collector could not take is spilled to, when one is bound. */
  get spillQueue(): SpillQueue | undefined {
    return this.#spillQueue
  }

  /** Tail sampling, when `otel({ tailSampling })` asks for it. */
  get tail(): TailSampler | undefined {
    return this.#tail
  }

  /** Query parameters redacted in `url.query` and `url.full`. */
  get sensitiveQueryKeys(): ReadonlySet<string> {
    return this.#sensitiveQueryKeys
  }

  /** Ended spans waiting for the next flush. */
  get spans(): readonly FinishedSpan[] {
    return this.#batch.spans
  }

  /** Adds a payload maker to every flush, for opt-in parts (logs, tail sampling, SDK exporters); each is added once. */
  addSource(source: PayloadSource): void {
    this.#pipeline.addSource(source)
  }

  #registered = false
  #runner: Pick<ContextManager, 'with' | 'bind'> = this.contextManager

  /**
   * Runs code in a context: the isolate's own context manager, or the one registered with
   * `@opentelemetry/api` when another was registered first (so that user code sees the same context).
   */
  get contexts(): Pick<ContextManager, 'with' | 'bind'> {
    return this.#runner
  }

  /**
   * Registers the providers, context manager and propagator with `@opentelemetry/api`, once: on the
   * first `configure`, or earlier through `registerTelemetry()`. What another library registered
   * first stays, and a message says what that means.
   */
  register(providers: Pick<OtelOptions, 'tracerProvider' | 'meterProvider'> = {}): void {
    const { tracerProvider, meterProvider } = providers
    if (this.#registered) {
      if ((tracerProvider && tracerProvider !== this.#tracers) || (meterProvider && meterProvider !== this.#meters)) {
        warnOnce('a tracerProvider or meterProvider option came after registration and was ignored: give it to registerTelemetry() too.', 'register:late')
      }
      return
    }
    this.#registered = true
    this.#tracers = tracerProvider ?? this.tracerProvider
    this.#meters = meterProvider ?? this.meterProvider
    this.#passed = [tracerProvider, meterProvider].filter((provider) => provider !== undefined)
    this.#instruments = undefined
    const taken: string[] = []
    if (!context.setGlobalContextManager(this.contextManager)) {
      taken.push('context manager')
      this.#runner = context
    }
    if (!propagation.setGlobalPropagator(this.propagator)) taken.push('propagator')
    if (!trace.setGlobalTracerProvider(this.#tracers)) taken.push('tracer provider')
    if (!metrics.setGlobalMeterProvider(this.#meters)) taken.push('meter provider')
    if (taken.length) {
      warnOnce(
        `edge-otel did not register its ${taken.join(', ')}: another was registered with @opentelemetry/api first, and gets what the API records.`,
        'register',
      )
    }
  }

  /**
   * Applies env and options once per isolate, for the first handler that runs. Bad values are reported
   * once and replaced by defaults; options another handler gives differently are reported once.
   */
  configure(env: Record<string, unknown> | undefined, options: OtelOptions, transport?: Transport): void {
    if (this.#config) {
      if (options !== this.#configuredWith && !this.#compared.has(options)) this.#compare(options)
      return
    }
    this.#configuredWith = options
    this.register(options)
    const { config, problems } = resolveConfig(env, options)
    for (const problem of problems) warnOnce(problem)
    this.#config = config
    this.#instanceId ||= crypto.randomUUID()
    this.tracerProvider.limits = config.spanLimits
    this.tracerProvider.sampler = createSampler(config.sampler, config.samplerRatio)
    // Tail sampling records the spans the sampler drops, to decide at each request's end.
    this.#tail = this.#tracers === this.tracerProvider ? options.tailSampling : undefined
    if (options.tailSampling && !this.#tail) warnOnce('tail sampling needs edge-otel\'s own tracer provider; with the tracerProvider option it is off.', 'tail:provider')
    this.tracerProvider.recordUnsampled = !!this.#tail?.configure(env, this)
    this.meterProvider.settings.temporality = config.temporality
    this.meterProvider.settings.cardinalityLimit = config.cardinalityLimit
    this.#sensitiveQueryKeys = sensitiveKeys(config.redactQueryParameters)
    const resource: Attributes = (this.#resource = {
      [ATTR_TELEMETRY_SDK_NAME]: LIBRARY_NAME,
      [ATTR_TELEMETRY_SDK_LANGUAGE]: 'webjs',
      [ATTR_TELEMETRY_SDK_VERSION]: LIBRARY_VERSION,
      [ATTR_CLOUD_PROVIDER]: 'cloudflare',
      [ATTR_CLOUD_PLATFORM]: 'cloudflare.workers',
      [ATTR_FAAS_NAME]: config.serviceName,
      [ATTR_FAAS_INSTANCE]: this.#instanceId,
      ...config.resourceAttributes,
      // After the spread: OTEL_SERVICE_NAME and the option win over OTEL_RESOURCE_ATTRIBUTES.
      [ATTR_SERVICE_NAME]: config.serviceName,
      [ATTR_SERVICE_INSTANCE_ID]: this.#instanceId,
    })
    const versionMetadata = env?.CF_VERSION_METADATA as { id?: unknown } | undefined
    if (resource[ATTR_SERVICE_VERSION] === undefined && typeof versionMetadata?.id === 'string') {
      resource[ATTR_SERVICE_VERSION] = versionMetadata.id
    }
    for (const signal of Object.values(config.signals)) {
      if (!signal) continue
      if (signal.protocol === 'http/json' && !jsonEncoding()) {
        warnOnce('OTEL_EXPORTER_OTLP_PROTOCOL="http/json" needs otel({ encodings: [otlpJson] }); exporting "http/protobuf".', 'json')
        signal.protocol = 'http/protobuf'
      }
      // A runtime without CompressionStream (Vercel Edge) exports uncompressed.
      if (typeof CompressionStream !== 'function') signal.gzip = false
    }
    const queue = env?.[config.spillQueueBinding]
    if (isSpillQueue(queue)) this.#spillQueue = queue
    if (transport) {
      this.#transport = transport
    } else if (Object.values(config.signals).some(Boolean)) {
      this.#transport = new OtlpHttpTransport(config.signals, exportFetch, retryPolicy(config.retryDeadline))
    }
  }

  /**
   * Lets a runtime other than workerd (`otelAnywhere`) or the test kit put a resource or transport of its
   * own in place of those `configure` set up. Does nothing before the isolate is configured.
   */
  adapt(change: (resource: Readonly<Attributes>, config: Readonly<ResolvedConfig>, transport: Transport | undefined) => Adapted): void {
    if (!this.#config) return
    const adapted = change(this.#resource, this.#config, this.#transport)
    this.#resource = adapted.resource ?? this.#resource
    this.#transport = adapted.transport ?? this.#transport
  }

  /** The options the isolate was configured with, and other handlers' options already compared with them. */
  #configuredWith: OtelOptions | undefined
  readonly #compared = new WeakSet<OtelOptions>()

  /** Names each option that `options` sets differently from the ones in force (equal JSON is the same), which ignores it. */
  #compare(options: OtelOptions): void {
    this.#compared.add(options)
    const inForce = (this.#configuredWith ?? {}) as Record<string, unknown>
    for (const [name, value] of Object.entries(options)) {
      if (value === undefined || value === inForce[name] || PER_HANDLER_OPTIONS.includes(name) || sameJson(value, inForce[name])) continue
      warnOnce(
        `the ${name} option of a handler was ignored: the first handler to run configures the isolate. Give every handler the same options.`,
        name,
      )
    }
  }

  #onSpanEnd(span: FinishedSpan): void {
    if (span.context.traceFlags & FLAG_SAMPLED) this.#batch.add(span)
    else this.#tail?.spanEnded(span)
  }

  /** Buffers an ended span for the next flush (tail sampling's kept spans), or counts it dropped when the buffer is full. */
  export(span: FinishedSpan): void {
    this.#batch.add(span)
  }

  /**
   * Called when a request has ended: the first of the requests that end close together schedules the
   * flush they share and gets its promise for `waitUntil`; the others get undefined (batch.ts).
   */
  requestEnded(): Promise<void> | undefined {
    return this.#batch.requestEnded()
  }

  /**
   * Exports every span ended and every measurement made since the last flush, once.
   * Never rejects: failures are reported once per isolate and cause.
   */
  async flush(): Promise<void> {
    this.#expireRequests()
    await Promise.all([
      this.#pipeline.flush(this.#batch.take()),
      ...this.#passed.map((provider) =>
        provider.forceFlush?.().catch((error: unknown) => warnOnce(`a provider passed as an option failed to flush: ${String(error)}`, 'passed:flush')),
      ),
    ])
  }

  /** Forgets requests older than EDGE_OTEL_REQUEST_TIMEOUT: the runtime dropped them, so they never end. */
  #expireRequests(): void {
    const timeout = this.#config?.requestTimeout
    if (!timeout) return
    const now = Date.now()
    this.#tail?.expire(now, timeout)
    const expired = this.activeRequests.expire(now, timeout)
    if (expired) {
      warnOnce(
        `${expired} requests outlived EDGE_OTEL_REQUEST_TIMEOUT (${timeout} ms), dropped by the runtime (client gone, handler hung); they no longer count as active.`,
        'expired',
      )
    }
  }

  /** Forgets configuration and buffered data; for tests that reconfigure one isolate. */
  reset(): void {
    this.#config = undefined
    this.#configuredWith = undefined
    this.#transport = undefined
    this.#batch.clear()
    this.#tail = undefined
    forgetWarnings()
  }
}

/** The isolate's one telemetry runtime, registered with `@opentelemetry/api` by the first handler to run. */
export const telemetry = new Telemetry()

/**
 * Registers edge-otel with `@opentelemetry/api` now rather than when the first handler runs. Call it
 * before making metric instruments at module scope: the metrics API has no proxy meter, so a meter
 * got before registration records nothing, ever. (Tracers need no such call.) A worker that passes its
 * own `tracerProvider` or `meterProvider` to its handlers passes them here too.
 *
 * @example
 * import { metrics } from '@opentelemetry/api'
 * import { otel, registerTelemetry } from 'edge-otel'
 *
 * registerTelemetry()
 * const ordersPlaced = metrics.getMeter('orders').createCounter('orders.placed')
 */
export function registerTelemetry(providers?: Pick<OtelOptions, 'tracerProvider' | 'meterProvider'>): void {
  telemetry.register(providers)
}
