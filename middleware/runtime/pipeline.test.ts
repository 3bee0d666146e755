import type { Attributes } from '@opentelemetry/api'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ExportError, type Flushed, type Transport, encodeTraces } from '../exporter/export.ts'
import { OtlpHttpTransport, retryPolicy } from '../exporter/http.ts'
import { type SpillQueue, type SpilledPayload, isSpilledPayload } from '../exporter/spill.ts'
import { EdgeMeterProvider } from '../sdk/metrics/metrics.ts'
import { EdgeTracerProvider, type FinishedSpan } from '../sdk/trace/tracer.ts'
import { type Receiver, type ReceiverAnswer, startReceiver } from '../testing/receiver.ts'
import { type ResolvedConfig, resolveConfig } from './config.ts'
import { createInstruments } from './instruments.ts'
import { type FlushParts, createPipeline } from './pipeline.ts'
import { forgetWarnings } from './warnings.ts'

let receiver: Receiver | undefined
let warn: ReturnType<typeof vi.spyOn>

beforeEach(() => {
  forgetWarnings()
  warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
})
afterEach(async () => {
  warn.mockRestore()
  await receiver?.close()
  receiver = undefined
})

const messages = (): string[] => warn.mock.calls.map((c: unknown[]) => String(c[0]))

/** An isolate's parts as telemetry.ts wires them, exporting over OTLP/HTTP to `url` (or nowhere). */
function isolate(url?: string, env: Record<string, string> = {}) {
  const spans: FinishedSpan[] = []
  const tracerProvider = new EdgeTracerProvider((s) => spans.push(s))
  const meterProvider = new EdgeMeterProvider({ temporality: 'delta', cardinalityLimit: 2000 })
  const own = createInstruments(tracerProvider, meterProvider)
  const config: ResolvedConfig | undefined = url ? resolveConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: url, OTEL_EXPORTER_OTLP_COMPRESSION: 'none', ...env }).config : undefined
  const parts: { -readonly [K in keyof FlushParts]: FlushParts[K] } = {
    meterProvider,
    own,
    config,
    resource: { 'service.name': 'checkout' } as Attributes,
    transport: config ? new OtlpHttpTransport(config.signals, fetch, retryPolicy(config.retryDeadline)) : undefined,
    spillQueue: undefined,
  }
  const ended = (...names: string[]) => {
    for (const name of names) own.tracer.startSpan(name).end()
    return spans.splice(0)
  }
  return { parts, pipeline: createPipeline(parts), ended }
}

/** A collector that stays unavailable: every send fails as OTLP/HTTP's does once its retries ran out. */
const UNAVAILABLE: Transport = { send: () => Promise.reject(new ExportError('unavailable', 503, undefined, true)) }

/** ExportTraceServiceResponse { partial_success: { rejected_spans: 1, error_message: "too old" } } */
const PARTIAL = new Uint8Array([0x0a, 0x0b, 0x08, 0x01, 0x12, 0x07, ...new TextEncoder().encode('too old')])

describe('the flush pipeline', () => {
  it('sends the spans it is handed and the metrics it collects, and counts them at the next flush', async () => {
    receiver = await startReceiver()
    const { pipeline, ended } = isolate(receiver.url)
    await pipeline.flush({ spans: ended('GET /cart', 'read cart'), dropped: 0 })
    expect(receiver.spans.map((s) => [s.name, s.resource['service.name']])).toEqual([
      ['GET /cart', 'checkout'],
      ['read cart', 'checkout'],
    ])
    await pipeline.flush({ spans: [], dropped: 0 })
    const points = (name: string) => receiver!.metrics.filter((m) => m.name === name).flatMap((m) => m.points)
    expect(points('otel.sdk.processor.span.processed')).toEqual([expect.objectContaining({ value: 2, attributes: { 'otel.component.type': 'batching_span_processor' } })])
    expect(points('otel.sdk.exporter.span.exported')).toEqual([
      expect.objectContaining({ value: 2, attributes: { 'otel.component.type': 'otlp_http_span_exporter', 'otel.component.name': 'edge-otel/traces' } }),
    ])
    expect(messages()).toEqual([])
  })

  it('hands each source what the flush took, and sends what it makes', async () => {
    receiver = await startReceiver()
    const { pipeline, ended } = isolate(receiver.url)
    const seen: Flushed[] = []
    const extra = ended('handed back')
    const source = (_signals: unknown, resource: Attributes, flushed: Flushed) => {
      seen.push(flushed)
      return encodeTraces('http/protobuf', resource, extra)
    }
    pipeline.addSource(source)
    pipeline.addSource(source)
    const spans = ended('GET /items')
    await pipeline.flush({ spans, dropped: 0 })
    expect(seen).toHaveLength(1)
    expect(seen[0].spans).toBe(spans)
    expect(seen[0].scopes.flatMap((s) => s.metrics.map((m) => m.name))).toEqual(['otel.sdk.processor.span.processed'])
    expect(receiver.spans.map((s) => s.name).sort()).toEqual(['GET /items', 'handed back'])
  })

  it('counts what the collector rejected, and warns once', async () => {
    receiver = await startReceiver({ respond: (r): number | ReceiverAnswer => (r.signal === 'traces' ? { status: 200, body: PARTIAL } : 200) })
    const { pipeline, ended } = isolate(receiver.url)
    await pipeline.flush({ spans: ended('a', 'b', 'c'), dropped: 0 })
    await pipeline.flush({ spans: [], dropped: 0 })
    const exported = receiver.metrics.filter((m) => m.name === 'otel.sdk.exporter.span.exported').flatMap((m) => m.points)
    expect(exported.map((p) => [p.value, p.attributes['error.type']])).toEqual([
      [1, 'rejected'],
      [2, undefined],
    ])
    expect(messages()).toEqual(['[edge-otel] the collector rejected 1 of 3 traces items: too old'])
  })

  it('drops a batch the collector refused, counts it by status, and names the fix once', async () => {
    receiver = await startReceiver({ respond: (r) => (r.signal === 'traces' ? 400 : 200) })
    const { pipeline, ended } = isolate(receiver.url)
    await pipeline.flush({ spans: ended('a', 'b'), dropped: 0 })
    await pipeline.flush({ spans: ended('c'), dropped: 0 })
    const exported = receiver.metrics.filter((m) => m.name === 'otel.sdk.exporter.span.exported').flatMap((m) => m.points)
    expect(exported.map((p) => [p.value, p.attributes['error.type']])).toEqual([[2, '400']])
    expect(messages()).toHaveLength(1)
    expect(messages()[0]).toMatch(/^\[edge-otel\] export of traces failed \(.*\); 2 items were dropped\.$/)
  })

  it('spills a batch to the bound queue when the collector stays unavailable, and counts it spilled', async () => {
    const { parts, pipeline, ended } = isolate('http://127.0.0.1:1')
    parts.transport = UNAVAILABLE
    const spilled: unknown[] = []
    parts.spillQueue = { send: async (message) => void spilled.push(message), sendBatch: async () => {} } as SpillQueue
    await pipeline.flush({ spans: ended('a', 'b'), dropped: 0 })
    expect(spilled.every(isSpilledPayload)).toBe(true)
    // the two signals are exported concurrently, so the order they fail in is not part of the contract
    expect(spilled.map((m) => [(m as SpilledPayload).signal, (m as SpilledPayload).items]).sort()).toEqual([
      ['metrics', 1],
      ['traces', 2],
    ])
    const metrics = (await parts.meterProvider.collect()).flatMap((s) => s.metrics)
    expect(metrics.find((m) => m.name === 'edge_otel.exporter.spilled')?.points.map((p) => [p.attributes['otel.component.name'], (p as { value: number }).value]).sort()).toEqual([
      ['edge-otel/metrics', 1],
      ['edge-otel/traces', 2],
    ])
    expect(metrics.find((m) => m.name === 'otel.sdk.exporter.span.exported')).toBeUndefined()
    expect(messages().sort()).toEqual([
      '[edge-otel] export of metrics failed (unavailable); spilled to the queue for replay.',
      '[edge-otel] export of traces failed (unavailable); spilled to the queue for replay.',
    ])
  })

  it('without a queue, drops what the collector could not take and says which binding would keep it', async () => {
    const { parts, pipeline, ended } = isolate('http://127.0.0.1:1')
    parts.transport = UNAVAILABLE
    await pipeline.flush({ spans: ended('a'), dropped: 0 })
    const exported = (await parts.meterProvider.collect()).flatMap((s) => s.metrics).find((m) => m.name === 'otel.sdk.exporter.span.exported')
    expect(exported?.points.map((p) => [p.attributes['error.type'], (p as { value: number }).value])).toEqual([['503', 1]])
    expect(messages()[0]).toBe('[edge-otel] export of traces failed (unavailable); 1 items were dropped. Bind a Queue as OTEL_SPILL_QUEUE to keep them.')
  })

  it('counts the spans the full buffer dropped, and names the setting to raise once', async () => {
    receiver = await startReceiver()
    const { pipeline, ended } = isolate(receiver.url)
    await pipeline.flush({ spans: ended('kept'), dropped: 3 })
    await pipeline.flush({ spans: [], dropped: 4 })
    await pipeline.flush({ spans: [], dropped: 0 })
    const processed = receiver.metrics.filter((m) => m.name === 'otel.sdk.processor.span.processed').flatMap((m) => m.points)
    expect(processed.map((p) => [p.value, p.attributes['error.type']])).toEqual([
      [1, undefined],
      [3, 'queue_full'],
      [4, 'queue_full'],
    ])
    expect(messages()).toEqual(['[edge-otel] 3 spans over OTEL_BSP_MAX_QUEUE_SIZE (2048) were dropped; raise it.'])
  })

  it('sends nothing before the isolate is configured, and collects all the same, so nothing piles up', async () => {
    const { parts, pipeline, ended } = isolate()
    await pipeline.flush({ spans: ended('early'), dropped: 0 })
    const collected = await parts.meterProvider.collect()
    expect(collected).toEqual([])
    expect(messages()).toEqual([])
  })
})
