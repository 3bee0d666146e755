// The library's collected metrics as the SDK's `ResourceMetrics`.
import type { CollectedMetric, CollectedScope, HistogramPoint, NumberPoint } from '../../sdk/metrics/metrics.ts'
import { hrTime } from './spans.ts'
import type { SdkDataPoint, SdkHistogram, SdkMetricData, SdkResource, SdkResourceMetrics } from './types.ts'

function numberPoint(p: NumberPoint): SdkDataPoint<number> {
  return { startTime: hrTime(p.startTime), endTime: hrTime(p.time), attributes: p.attributes, value: p.value }
}

function histogramPoint(p: HistogramPoint, boundaries: number[]): SdkDataPoint<SdkHistogram> {
  return {
    startTime: hrTime(p.startTime),
    endTime: hrTime(p.time),
    attributes: p.attributes,
    value: { buckets: { boundaries, counts: p.bucketCounts }, count: p.count, sum: p.sum, min: p.min, max: p.max },
  }
}

function metricData(m: CollectedMetric): SdkMetricData {
  const descriptor = { name: m.name, description: m.description, unit: m.unit, valueType: m.valueType }
  const aggregationTemporality = m.temporality === 'delta' ? 0 : 1
  if (m.type === 'histogram') {
    return { descriptor, aggregationTemporality, dataPointType: 0, dataPoints: m.points.map((p) => histogramPoint(p as HistogramPoint, m.bucketBounds)) }
  }
  const dataPoints = m.points.map((p) => numberPoint(p as NumberPoint))
  if (m.type === 'gauge') return { descriptor, aggregationTemporality, dataPointType: 2, dataPoints }
  return { descriptor, aggregationTemporality, dataPointType: 3, dataPoints, isMonotonic: m.monotonic }
}

/** One flush's collected metrics, converted once, for a push metric exporter. */
export function resourceMetrics(resource: SdkResource, scopes: readonly CollectedScope[]): SdkResourceMetrics {
  return { resource, scopeMetrics: scopes.map((s) => ({ scope: s.scope, metrics: s.metrics.map(metricData) })) }
}
