import { describe, expect, it } from 'vitest'
import { ExportError, encodeMetrics, encodeTraces, useJsonEncoding } from './export.ts'
import { otlpJson } from './json/encode.ts'
import { EdgeMeterProvider } from '../sdk/metrics/metrics.ts'
import { EdgeTracerProvider, type FinishedSpan } from '../sdk/trace/tracer.ts'

describe('encodeTraces / encodeMetrics', () => {
  it('fall back to protobuf when no JSON encoding is in the bundle', () => {
    const spans: FinishedSpan[] = []
    new EdgeTracerProvider((s) => spans.push(s)).getTracer('t').startSpan('s').end()
    expect(encodeTraces('http/json', {}, spans).contentType).toBe('application/x-protobuf')
  })

  it('pick the content type of the protocol and count the items', async () => {
    useJsonEncoding(otlpJson)
    const spans: FinishedSpan[] = []
    new EdgeTracerProvider((s) => spans.push(s)).getTracer('t').startSpan('s').end()
    expect(encodeTraces('http/protobuf', {}, spans)).toMatchObject({ signal: 'traces', contentType: 'application/x-protobuf', items: 1 })
    expect(encodeTraces('http/json', {}, spans)).toMatchObject({ contentType: 'application/json', items: 1 })
    const meters = new EdgeMeterProvider()
    meters.getMeter('m').createCounter('c').add(1, { a: 1 })
    meters.getMeter('m').createCounter('c').add(1, { a: 2 })
    expect(encodeMetrics('http/protobuf', {}, await meters.collect())).toMatchObject({ signal: 'metrics', items: 2 })
  })
})

describe('ExportError', () => {
  it('names its error.type by status, or by the network error', () => {
    expect(new ExportError('x', 503).type).toBe('503')
    expect(new ExportError('x', undefined, 'TimeoutError').type).toBe('TimeoutError')
  })
})
