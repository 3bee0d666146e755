import { ROOT_CONTEXT, type Span, context } from '@opentelemetry/api'
import { ExportError, type OtlpPayload, type PayloadSource, type SendResult, type Signal, type Transport, payload } from '../exporter/export.ts'
import { OtlpHttpTransport, retryPolicy } from '../exporter/http.ts'
import { resourceMetrics } from '../exporter/sdk/metrics.ts'
import { SdkSpanView, sdkResource } from '../exporter/sdk/spans.ts'
import type { SdkExportResult, SdkPushMetricExporter, SdkResource, SdkSpanExporter, SdkSpanProcessor } from '../exporter/sdk/types.ts'
import { observeSpans } from '../sdk/trace/observe.ts'
import { type FinishedSpan, errorTypeOf } from '../sdk/trace/tracer.ts'
import { type Telemetry, exportFetch, telemetry } from './telemetry.ts'
import { warnOnce } from './warnings.ts'

/** The OpenTelemetry SDK objects that `sdkExporters` plugs in. */
export interface SdkExportersOptions {
  /** Receives the spans the library exports (sampled, or kept by tail sampling) at each flush, e.g. `new OTLPTraceExporter()`. */
  spanExporter?: SdkSpanExporter
  /** Told of every recording span as it starts and ends; flushed at each flush. */
  spanProcessors?: SdkSpanProcessor[]
  /** Receives the metrics collected at each flush, e.g. `new OTLPMetricExporter()`. */
  metricExporter?: SdkPushMetricExporter
}

/** What an SDK export's failure carries: `OTLPExporterError` has the HTTP status as `code`. */
interface ExportFailure {
  message?: string
  code?: unknown
}

/**
 * Exports through OpenTelemetry SDK exporters and processors: spans reach them as `ReadableSpan`s,
 * metrics as `ResourceMetrics`, at the same request-end flush (in `waitUntil`) as the built-in
 * exporter, which still sends what has an `OTEL_EXPORTER_OTLP_*` endpoint. Give it to a handler as its
 * `transport`, once per worker. Not bundled unless used.
 *
 * @example
 * import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
 * import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http'
 * import { otel, sdkExporters } from 'edge-otel/sdk'
 *
 * app.use(otel({
 *   transport: sdkExporters({
 *     spanExporter: new OTLPTraceExporter({ url: 'https://collector.example.com/v1/traces', concurrencyLimit: 100 }),
 *     metricExporter: new OTLPMetricExporter({ url: 'https://collector.example.com/v1/metrics' }),
 *   }),
 * }))
 */
export function sdkExporters(options: SdkExportersOptions): Transport {
  return new SdkExporters(options, telemetry)
}

class SdkExporters implements Transport {
  readonly #telemetry: Telemetry
  readonly #spanExporter: SdkSpanExporter | undefined
  readonly #metricExporter: SdkPushMetricExporter | undefined
  readonly #processors: SdkSpanProcessor[]
  readonly #views = new WeakMap<FinishedSpan, SdkSpanView>()
  /** Spans ended since the processors were last flushed. */
  #endedSinceFlush = 0
  /** The SDK export each of this object's payloads stands for. */
  readonly #exports = new WeakMap<OtlpPayload, () => Promise<SendResult | void>>()
  /** The built-in transport, for the signals with an OTLP endpoint. */
  #http: Transport | undefined
  #resource: SdkResource | undefined
  #resourceOf: object | undefined

  constructor(options: SdkExportersOptions, telemetry: Telemetry) {
    this.#telemetry = telemetry
    this.#spanExporter = options.spanExporter
    this.#metricExporter = options.metricExporter
    this.#processors = options.spanProcessors ?? []
    const resource = () => this.#sdkResource()
    if (this.#processors.length) {
      observeSpans(telemetry.tracerProvider, {
        started: (span, parent) => {
          const view = new SdkSpanView(span, resource)
          this.#views.set(span, view)
          for (const processor of this.#processors) this.#guard('onStart', () => processor.onStart(view, parent))
        },
        ended: (span) => {
          const view = this.#view(span)
          this.#endedSinceFlush++
          for (const processor of this.#processors) this.#guard('onEnd', () => processor.onEnd(view))
        },
      })
    }
    telemetry.addSource(this.#tracesSource)
    telemetry.addSource(this.#metricsSource)
  }

  /** The isolate's resource as one SDK `Resource`, remade only when the isolate is configured again. */
  #sdkResource(): SdkResource {
    const attributes = this.#telemetry.resource
    if (this.#resourceOf !== attributes) {
      this.#resource = sdkResource(attributes)
      this.#resourceOf = attributes
    }
    return this.#resource!
  }

  #view(span: FinishedSpan): SdkSpanView {
    let view = this.#views.get(span)
    if (!view) {
      view = new SdkSpanView(span as Span & FinishedSpan, () => this.#sdkResource())
      this.#views.set(span, view)
    }
    return view
  }

  /** Runs a processor's hook; what it throws is reported once and goes no further. */
  #guard(hook: string, run: () => void): void {
    try {
      run()
    } catch (error) {
      this.#report(hook, error)
    }
  }

  #report(hook: string, error: unknown): void {
    warnOnce(`a span processor's ${hook} failed (${error instanceof Error ? error.message : String(error)}); telemetry goes on.`, `sdk:${hook}`)
  }

  /** A payload that stands for an SDK export of `items` items, which `send` runs. */
  #stand(signal: Signal, items: number, run: () => Promise<SendResult | void>): OtlpPayload {
    const p = payload(signal, new Uint8Array(0), items)
    this.#exports.set(p, run)
    return p
  }

  /** The spans the flush took, to the span exporter, and the processors flushed if any span ended since they last were. */
  readonly #tracesSource: PayloadSource = (_signals, _resource, flushed) => {
    const spans = this.#spanExporter ? flushed.spans.map((span) => this.#view(span)) : []
    const processors = this.#endedSinceFlush ? this.#processors : []
    if (!spans.length && !processors.length) return undefined
    this.#endedSinceFlush = 0
    const exporter = this.#spanExporter
    return this.#stand('traces', spans.length, async () => {
      await Promise.all([
        spans.length ? exportThrough((done) => exporter!.export(spans, done)) : undefined,
        ...processors.map((p) => p.forceFlush().catch((error: unknown) => this.#report('forceFlush', error))),
      ])
    })
  }

  /** The metrics the flush collected, to the metric exporter. */
  readonly #metricsSource: PayloadSource = (_signals, _resource, flushed) => {
    if (!this.#metricExporter) return undefined
    const scopes = flushed.scopes
    let points = 0
    for (const s of scopes) for (const m of s.metrics) points += m.points.length
    if (!points) return undefined
    const data = resourceMetrics(this.#sdkResource(), scopes)
    return this.#stand('metrics', points, () => exportThrough((done) => this.#metricExporter!.export(data, done)))
  }

  /** Runs the SDK export a payload stands for; sends any other payload over OTLP/HTTP. */
  send(p: OtlpPayload): Promise<SendResult | void> {
    const run = this.#exports.get(p)
    if (run) return run()
    const config = this.#telemetry.config
    if (!config) {
      // Payloads from a runtime that is not this one's: `otel()` came from the other copy of the library.
      warnOnce(
        'the worker imports both `edge-otel` and `edge-otel/sdk`, two copies of the library, and sdkExporters() got telemetry it cannot export. Import everything from `edge-otel/sdk`.',
        'sdk:copies',
      )
      return Promise.resolve()
    }
    this.#http ??= new OtlpHttpTransport(config.signals, exportFetch, retryPolicy(config.retryDeadline))
    return this.#http.send(p)
  }
}

/**
 * Runs a callback-style SDK export outside any span (so that the exporter's own `fetch` is not
 * traced), resolving when it reports success and rejecting with an `ExportError` when it fails.
 * Not retryable: the spill queue takes encoded batches only.
 */
function exportThrough(start: (done: (result: SdkExportResult) => void) => void): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const done = (result: SdkExportResult) => {
      if (result.code === 0) return resolve()
      const failure = (result.error ?? {}) as ExportFailure
      const status = typeof failure.code === 'number' && failure.code >= 100 ? failure.code : undefined
      reject(new ExportError(`SDK exporter: ${failure.message ?? 'failed'}`, status, result.error ? errorTypeOf(result.error) : undefined))
    }
    try {
      context.with(ROOT_CONTEXT, () => start(done))
    } catch (error) {
      reject(error)
    }
  })
}
