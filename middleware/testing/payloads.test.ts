// decodePayload and CapturingTransport on payloads the library's encoders made: protobuf, OTLP/JSON,
// and gzip as a payload replayed from the spill queue carries it.
import { describe, expect, it } from 'vitest'
import { encodeMetrics, encodeTraces, useJsonEncoding } from '../exporter/export.ts'
import { otlpJson } from '../exporter/json/encode.ts'
import { EdgeMeterProvider } from '../sdk/metrics/metrics.ts'
import { EdgeTracerProvider, type FinishedSpan } from '../sdk/trace/tracer.ts'
import { CapturingTransport, type Telemetry, decodePayload } from './payloads.ts'

useJsonEncoding(otlpJson)

const RESOURCE = { 'service.name': 'orders' }

function ended(...names: string[]): FinishedSpan[] {
  const spans: FinishedSpan[] = []
  const tracer = new EdgeTracerProvider((s) => spans.push(s)).getTracer('payloads.test')
  for (const name of names) tracer.startSpan(name, { attributes: { 'app.name': name } }).end()
  return spans
}

async function gzip(body: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([body as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new CompressionStream('gzip'))
  return new Uint8Array(await new Response(stream).arrayBuffer())
}

const empty = (): Telemetry => ({ spans: [], metrics: [], logs: [] })

describe('decodePayload', () => {
  it('decodes protobuf and OTLP/JSON to the same spans, adding to what it holds', async () => {
    const spans = ended('read cart', 'price cart')
    const fromProtobuf = empty()
    const fromJson = empty()
    await decodePayload(encodeTraces('http/protobuf', RESOURCE, spans), fromProtobuf)
    await decodePayload(encodeTraces('http/json', RESOURCE, spans), fromJson)
    expect(fromProtobuf.spans.map((s) => [s.name, s.attributes['app.name'], s.resource['service.name']])).toEqual([
      ['read cart', 'read cart', 'orders'],
      ['price cart', 'price cart', 'orders'],
    ])
    expect(fromJson).toEqual(fromProtobuf)
    await decodePayload(encodeTraces('http/protobuf', RESOURCE, ended('third')), fromProtobuf)
    expect(fromProtobuf.spans).toHaveLength(3)
  })

  it('gunzips a payload marked gzip, as one replayed from the spill queue is', async () => {
    const plain = encodeTraces('http/protobuf', RESOURCE, ended('spilled'))
    const into = empty()
    await decodePayload({ ...plain, body: await gzip(plain.body as Uint8Array), contentEncoding: 'gzip' }, into)
    expect(into.spans.map((s) => s.name)).toEqual(['spilled'])
  })

  it('rejects a payload its content type does not describe', async () => {
    const plain = encodeTraces('http/protobuf', RESOURCE, ended('x'))
    await expect(decodePayload({ ...plain, contentType: 'application/json' }, empty())).rejects.toThrow()
    await expect(decodePayload({ ...plain, contentEncoding: 'gzip' }, empty())).rejects.toThrow()
  })
})

describe('CapturingTransport', () => {
  it("keeps each signal, sums a metric's points over payloads, and forgets on clear", async () => {
    const transport = new CapturingTransport()
    const meters = new EdgeMeterProvider({ temporality: 'delta', cardinalityLimit: 2000 })
    const carts = meters.getMeter('payloads.test').createCounter('carts.read')
    carts.add(2, { kind: 'guest' })
    await transport.send(encodeMetrics('http/protobuf', RESOURCE, await meters.collect()))
    carts.add(3, { kind: 'member' })
    await transport.send(encodeMetrics('http/json', RESOURCE, await meters.collect()))
    await transport.send(encodeTraces('http/protobuf', RESOURCE, ended('GET /carts')))
    expect(transport.points('carts.read').map((p) => [p.value, p.attributes.kind])).toEqual([
      [2, 'guest'],
      [3, 'member'],
    ])
    expect(transport.points('missing')).toEqual([])
    expect(transport.spans.map((s) => s.name)).toEqual(['GET /carts'])
    transport.clear()
    expect([transport.spans, transport.metrics, transport.logs]).toEqual([[], [], []])
  })
})
