import { AggregationTemporality, DataPointType } from '@opentelemetry/sdk-metrics'
import { ProtobufMetricsSerializer } from 'otlp-proto-root'
import { describe, expect, it } from 'vitest'
import { type ReceivedMetric, decodeRequest, metricsOf } from '../../testing/decode.ts'
import { EdgeMeterProvider } from '../../sdk/metrics/metrics.ts'
import { encodeMetricsProto } from '../proto/encode.ts'
import { resourceMetrics } from './metrics.ts'
import { sdkResource } from './spans.ts'

/** Empty strings as protobuf means them: the built-in encoder leaves them out, the SDK's writes them. */
const withEmpty = (metrics: ReceivedMetric[]) => metrics.map((m) => ({ ...m, description: m.description || undefined, unit: m.unit || undefined }))

async function collected(temporality: 'delta' | 'cumulative') {
  const provider = new EdgeMeterProvider({ temporality, cardinalityLimit: 2000 })
  const meter = provider.getMeter('shop', '2.0')
  meter.createCounter('orders', { unit: '{order}' }).add(3, { kind: 'odd' })
  meter.createUpDownCounter('queue.depth').add(-2)
  meter.createHistogram('basket', { advice: { explicitBucketBoundaries: [1, 5] } }).record(4, { kind: 'odd' })
  meter.createGauge('temperature', { unit: 'Cel' }).record(21.5)
  return provider.collect()
}

describe('resourceMetrics', () => {
  it("uses the SDK's enum values for point types and temporality", async () => {
    const data = resourceMetrics(sdkResource({}), await collected('delta'))
    const byName = Object.fromEntries(data.scopeMetrics[0].metrics.map((m) => [m.descriptor.name, m]))
    expect(byName.orders).toMatchObject({ dataPointType: DataPointType.SUM, aggregationTemporality: AggregationTemporality.DELTA, isMonotonic: true })
    expect(byName['queue.depth']).toMatchObject({ dataPointType: DataPointType.SUM, aggregationTemporality: AggregationTemporality.CUMULATIVE, isMonotonic: false })
    expect(byName.basket).toMatchObject({ dataPointType: DataPointType.HISTOGRAM, aggregationTemporality: AggregationTemporality.DELTA })
    expect(byName.temperature.dataPointType).toBe(DataPointType.GAUGE)
    expect(byName.basket.dataPoints[0].value).toEqual({ buckets: { boundaries: [1, 5], counts: [0, 1, 0] }, count: 1, sum: 4, min: 4, max: 4 })
  })

  for (const temporality of ['delta', 'cumulative'] as const) {
    it(`encodes, through the SDK's own OTLP transformer, to what the built-in encoder writes (${temporality})`, async () => {
      const scopes = await collected(temporality)
      const attributes = { 'service.name': 'checkout' }
      const stock = ProtobufMetricsSerializer.serializeRequest(resourceMetrics(sdkResource(attributes), scopes) as never)!
      const decoded = (body: Uint8Array) => withEmpty(metricsOf(decodeRequest('metrics', 'application/x-protobuf', body)))
      expect(decoded(stock)).toEqual(decoded(encodeMetricsProto(attributes, scopes)))
      expect(decoded(stock)).toHaveLength(4)
    })
  }
})
