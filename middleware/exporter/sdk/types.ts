// The OpenTelemetry JS SDK's exporter and processor interfaces, written out by shape
// (@opentelemetry/sdk-trace-base 2.x, @opentelemetry/sdk-trace 3.x, @opentelemetry/sdk-metrics 2.x and 3.x),
// so that the library takes SDK objects without depending on the SDK packages.
import type { Attributes, AttributeValue, Context, HrTime, Link, Span, SpanContext, SpanKind, SpanStatus, ValueType } from '@opentelemetry/api'

/** The SDK's `ExportResult`: `code` 0 is SUCCESS, 1 FAILED. */
export interface SdkExportResult {
  code: number
  error?: Error
}

/** The SDK's `Resource` (@opentelemetry/resources): every span and metric of an isolate shares one. */
export interface SdkResource {
  readonly attributes: Attributes
  readonly schemaUrl?: string
  readonly asyncAttributesPending?: boolean
  waitForAsyncAttributes?(): Promise<void>
  merge(other: SdkResource | null): SdkResource
  getRawAttributes(): [string, AttributeValue | undefined][]
}

/** The SDK's `InstrumentationScope` (@opentelemetry/core). */
export interface SdkInstrumentationScope {
  readonly name: string
  readonly version?: string
  readonly schemaUrl?: string
}

/** The SDK's `TimedEvent`: a span event. */
export interface SdkTimedEvent {
  time: HrTime
  name: string
  attributes?: Attributes
  droppedAttributesCount?: number
}

/** The SDK's `ReadableSpan`: what span exporters and `SpanProcessor.onEnd` receive. */
export interface SdkReadableSpan {
  readonly name: string
  readonly kind: SpanKind
  readonly spanContext: () => SpanContext
  readonly parentSpanContext?: SpanContext
  readonly startTime: HrTime
  readonly endTime: HrTime
  readonly status: SpanStatus
  readonly attributes: Attributes
  readonly links: Link[]
  readonly events: SdkTimedEvent[]
  readonly duration: HrTime
  readonly ended: boolean
  readonly resource: SdkResource
  readonly instrumentationScope: SdkInstrumentationScope
  readonly droppedAttributesCount: number
  readonly droppedEventsCount: number
  readonly droppedLinksCount: number
}

/** The SDK's `Span`: what `SpanProcessor.onStart` receives, a live span that can still be changed. */
export type SdkSpan = Span & SdkReadableSpan

/** The SDK's `SpanExporter`, e.g. `OTLPTraceExporter` of @opentelemetry/exporter-trace-otlp-http. */
export interface SdkSpanExporter {
  export(spans: SdkReadableSpan[], resultCallback: (result: SdkExportResult) => void): void
  shutdown(): Promise<void>
  forceFlush?(): Promise<void>
}

/** The SDK's `SpanProcessor`: told of each span as it starts and as it ends. */
export interface SdkSpanProcessor {
  onStart(span: SdkSpan, parentContext: Context): void
  onEnd(span: SdkReadableSpan): void
  forceFlush(): Promise<void>
  shutdown(): Promise<void>
}

/** The SDK's `MetricDescriptor`. */
export interface SdkMetricDescriptor {
  readonly name: string
  readonly description: string
  readonly unit: string
  readonly valueType: ValueType
}

/** The SDK's `DataPoint`. */
export interface SdkDataPoint<T> {
  readonly startTime: HrTime
  readonly endTime: HrTime
  readonly attributes: Attributes
  readonly value: T
}

/** The SDK's explicit-bucket `Histogram` value. */
export interface SdkHistogram {
  buckets: { boundaries: number[]; counts: number[] }
  sum?: number
  count: number
  min?: number
  max?: number
}

/** `AggregationTemporality`: 0 DELTA, 1 CUMULATIVE. */
export type SdkAggregationTemporality = 0 | 1

/** The SDK's `SumMetricData` (`dataPointType` 3, SUM). */
export interface SdkSumMetricData {
  readonly descriptor: SdkMetricDescriptor
  readonly aggregationTemporality: SdkAggregationTemporality
  readonly dataPointType: 3
  readonly dataPoints: SdkDataPoint<number>[]
  readonly isMonotonic: boolean
}

/** The SDK's `GaugeMetricData` (`dataPointType` 2, GAUGE). */
export interface SdkGaugeMetricData {
  readonly descriptor: SdkMetricDescriptor
  readonly aggregationTemporality: SdkAggregationTemporality
  readonly dataPointType: 2
  readonly dataPoints: SdkDataPoint<number>[]
}

/** The SDK's `HistogramMetricData` (`dataPointType` 0, HISTOGRAM). */
export interface SdkHistogramMetricData {
  readonly descriptor: SdkMetricDescriptor
  readonly aggregationTemporality: SdkAggregationTemporality
  readonly dataPointType: 0
  readonly dataPoints: SdkDataPoint<SdkHistogram>[]
}

/** The SDK's `MetricData`, of the kinds the library collects. */
export type SdkMetricData = SdkSumMetricData | SdkGaugeMetricData | SdkHistogramMetricData

/** The SDK's `ScopeMetrics`. */
export interface SdkScopeMetrics {
  scope: SdkInstrumentationScope
  metrics: SdkMetricData[]
}

/** The SDK's `ResourceMetrics`: what a push metric exporter receives. */
export interface SdkResourceMetrics {
  resource: SdkResource
  scopeMetrics: SdkScopeMetrics[]
}

/** The SDK's `PushMetricExporter`, e.g. `OTLPMetricExporter` of @opentelemetry/exporter-metrics-otlp-http. */
export interface SdkPushMetricExporter {
  export(metrics: SdkResourceMetrics, resultCallback: (result: SdkExportResult) => void): void
  forceFlush(): Promise<void>
  shutdown(): Promise<void>
}
