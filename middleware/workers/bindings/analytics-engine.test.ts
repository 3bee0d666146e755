// Analytics Engine's `writeDataPoint` returns at once and workerd sends the point later: it is recorded
// as an event on the active span. Called through instrumentBinding on an object of workerd's shape.
import { SpanKind, context, trace } from '@opentelemetry/api'
import { beforeEach, describe, expect, it } from 'vitest'
import { telemetry } from '../../runtime/telemetry.ts'
import { configureTelemetry } from '../../../test/binding-calls.ts'
import type { FinishedSpan } from '../../sdk/trace/tracer.ts'
import { ANALYTICS_ENGINE } from './analytics-engine.ts'
import { bindingBase, instrumentBinding } from './client.ts'

beforeEach(() => configureTelemetry(true))

interface DataPoint {
  blobs?: string[]
  doubles?: number[]
  indexes?: string[]
}

/** workerd's `AnalyticsEngineDataset`: `writeDataPoint` returns undefined and throws on a malformed point. */
class Dataset {
  readonly written: DataPoint[] = []
  writeDataPoint(point?: DataPoint): void {
    if ((point?.indexes?.length ?? 0) > 1) throw new Error('writeDataPoint(): Maximum of 1 indexes supported.')
    this.written.push(point ?? {})
  }
}

function inRequest(fn: (events: Dataset) => void): { dataset: Dataset; server: FinishedSpan; spans: FinishedSpan[]; error?: unknown } {
  const dataset = new Dataset()
  const events = instrumentBinding(dataset, ANALYTICS_ENGINE, bindingBase('EVENTS'))
  const span = telemetry.own.tracer.startSpan('POST /checkout', { kind: SpanKind.SERVER })
  const before = telemetry.spans.length
  let error: unknown
  try {
    context.with(trace.setSpan(context.active(), span), () => fn(events))
  } catch (thrown) {
    error = thrown
  }
  span.end()
  const spans = telemetry.spans.slice(before)
  return { dataset, server: spans.find((s) => s.name === 'POST /checkout')!, spans, error }
}

describe('ANALYTICS_ENGINE', () => {
  it('records each write as an event on the active span, with no span, and never the blobs, doubles or indexes', () => {
    const point = { blobs: ['blob-secret'], doubles: [31.4159], indexes: ['index-secret'] }
    let returned: unknown = 'not called'
    const { dataset, server, spans } = inRequest((events) => {
      returned = events.writeDataPoint(point)
      events.writeDataPoint()
    })
    expect(returned).toBeUndefined()
    expect(dataset.written).toEqual([point, {}])
    expect(spans.map((s) => s.name)).toEqual(['POST /checkout'])
    expect(server.events.map((e) => [e.name, e.attributes])).toEqual([
      ['analytics_engine_writeDataPoint', expect.objectContaining({ 'db.system.name': 'cloudflare-analytics-engine', 'db.operation.name': 'writeDataPoint', 'db.namespace': 'EVENTS' })],
      ['analytics_engine_writeDataPoint', expect.anything()],
    ])
    const recorded = JSON.stringify(spans)
    for (const secret of ['blob-secret', '31.4159', 'index-secret']) expect(recorded).not.toContain(secret)
  })

  it("throws the dataset's own error for a malformed point, unchanged", () => {
    const bare = (() => {
      try {
        new Dataset().writeDataPoint({ indexes: ['a', 'b'] })
      } catch (error) {
        return error as Error
      }
    })()
    const { error } = inRequest((events) => events.writeDataPoint({ indexes: ['a', 'b'] }))
    expect((error as Error).message).toBe(bare!.message)
  })

  it('writes outside a request without recording anything', () => {
    const dataset = new Dataset()
    const before = telemetry.spans.length
    instrumentBinding(dataset, ANALYTICS_ENGINE, bindingBase('EVENTS')).writeDataPoint({ blobs: ['b'] })
    expect(dataset.written).toEqual([{ blobs: ['b'] }])
    expect(telemetry.spans.length).toBe(before)
  })
})
