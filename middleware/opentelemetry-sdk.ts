// `edge-otel/sdk`: everything `edge-otel` exports, and `sdkExporters`, which plugs OpenTelemetry SDK
// span exporters, span processors and push metric exporters into the same pipeline. A separate entry,
// so that workers which import `edge-otel` carry none of it. Import everything from here in such a worker.
export * from './index.ts'
export { sdkExporters, type SdkExportersOptions } from './runtime/sdk-exporters.ts'
export type {
  SdkAggregationTemporality,
  SdkDataPoint,
  SdkExportResult,
  SdkGaugeMetricData,
  SdkHistogram,
  SdkHistogramMetricData,
  SdkInstrumentationScope,
  SdkMetricData,
  SdkMetricDescriptor,
  SdkPushMetricExporter,
  SdkReadableSpan,
  SdkResource,
  SdkResourceMetrics,
  SdkScopeMetrics,
  SdkSpan,
  SdkSpanExporter,
  SdkSpanProcessor,
  SdkSumMetricData,
  SdkTimedEvent,
} from './exporter/sdk/types.ts'
