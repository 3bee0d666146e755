// The library's own tracer and instruments: the request, client and binding durations, active
// requests, FaaS invocations, errors and cold starts, and the SDK self-observability counters.
import type { Counter, Histogram, Meter, MeterProvider, Tracer, TracerProvider, UpDownCounter } from '@opentelemetry/api'
import {
  METRIC_DB_CLIENT_OPERATION_DURATION,
  METRIC_HTTP_CLIENT_REQUEST_DURATION,
  METRIC_HTTP_SERVER_REQUEST_DURATION,
} from '@opentelemetry/semantic-conventions'
import {
  METRIC_FAAS_COLDSTARTS,
  METRIC_FAAS_ERRORS,
  METRIC_FAAS_INVOCATIONS,
  METRIC_HTTP_SERVER_ACTIVE_REQUESTS,
  METRIC_OTEL_SDK_EXPORTER_METRIC_DATA_POINT_EXPORTED,
  METRIC_OTEL_SDK_EXPORTER_SPAN_EXPORTED,
  METRIC_OTEL_SDK_PROCESSOR_SPAN_PROCESSED,
} from '@opentelemetry/semantic-conventions/incubating'
import { VALUE_INT } from '../sdk/api-values.ts'
import { LIBRARY_NAME, LIBRARY_VERSION } from '../sdk/version.ts'

/** The semconv advisory boundaries for HTTP request durations, in seconds. */
export const HTTP_DURATION_BOUNDARIES = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]

/** The semconv advisory boundaries for `db.client.operation.duration`, in seconds. */
export const DB_DURATION_BOUNDARIES = [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10]

/** The tracer and instruments the library records with, under its own instrumentation scope. */
export interface LibraryInstruments {
  tracer: Tracer
  /** The meter the instruments are made with, for those made elsewhere (queues, logs). */
  meter: Meter
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

/**
 * Makes the library's tracer and instruments from the isolate's providers.
 *
 * @example
 * const own = createInstruments(tracerProvider, meterProvider)
 * own.serverDuration.record(0.012, { 'http.request.method': 'GET' })
 */
export function createInstruments(tracerProvider: TracerProvider, meterProvider: MeterProvider): LibraryInstruments {
  const meter = meterProvider.getMeter(LIBRARY_NAME, LIBRARY_VERSION)
  return {
    tracer: tracerProvider.getTracer(LIBRARY_NAME, LIBRARY_VERSION),
    meter,
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
