import { trace } from '@opentelemetry/api'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { expect, it, vi } from 'vitest'
import { useReceiver } from '../../test/receiver-setup.ts'
import type { SdkSpanProcessor } from '../exporter/sdk/types.ts'
import { payload } from '../exporter/export.ts'
import { sdkExporters } from './sdk-exporters.ts'
import { telemetry } from './telemetry.ts'

const refusing = useReceiver({ respond: () => 400 })

it('reports a failed SDK export once, counts it by status, and keeps a throwing processor out of user code', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
  const flushed: string[] = []
  const throwing: SdkSpanProcessor = {
    onStart: () => {
      throw new Error('onStart broke')
    },
    onEnd: (span) => flushed.push(span.name),
    forceFlush: () => Promise.reject(new Error('forceFlush broke')),
    shutdown: async () => {},
  }
  telemetry.reset()
  const transport = sdkExporters({ spanExporter: new OTLPTraceExporter({ url: `${refusing.url}/v1/traces` }), spanProcessors: [throwing] })
  telemetry.configure({}, { serviceName: 'refused' }, transport)
  const tracer = trace.getTracer('app')
  expect(() => tracer.startSpan('first').end()).not.toThrow()
  tracer.startSpan('second').end()
  await telemetry.flush()
  expect(flushed).toEqual(['first', 'second'])
  const messages = warn.mock.calls.map((c) => String(c[0]))
  expect(messages.filter((m) => m.includes("a span processor's onStart failed (onStart broke)"))).toHaveLength(1)
  expect(messages.filter((m) => m.includes("a span processor's forceFlush failed (forceFlush broke)"))).toHaveLength(1)
  expect(messages.filter((m) => m.startsWith('[edge-otel] export of traces failed (SDK exporter:') && m.includes('2 items were dropped'))).toHaveLength(1)
  const exported = (await telemetry.meterProvider.collect()).flatMap((s) => s.metrics).find((m) => m.name === 'otel.sdk.exporter.span.exported')
  expect(exported?.points).toEqual([expect.objectContaining({ value: 2, attributes: expect.objectContaining({ 'error.type': '400' }) })])
  expect(refusing.requests).toHaveLength(0)
  warn.mockRestore()
})

it('says once that a payload from the other copy of the library cannot be exported, and never throws', async () => {
  const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
  telemetry.reset()
  // `otel()` of `edge-otel` hands its payloads to sdkExporters() of `edge-otel/sdk`, whose runtime never ran.
  const transport = sdkExporters({ spanExporter: new OTLPTraceExporter({ url: `${refusing.url}/v1/traces` }) })
  const foreign = payload('traces', new Uint8Array([1, 2, 3]), 1)
  await expect(transport.send(foreign)).resolves.toBeUndefined()
  await transport.send(foreign)
  const messages = warn.mock.calls.map((c) => String(c[0]))
  expect(messages).toEqual([
    '[edge-otel] the worker imports both `edge-otel` and `edge-otel/sdk`, two copies of the library, and sdkExporters() got telemetry it cannot export. Import everything from `edge-otel/sdk`.',
  ])
  expect(refusing.requests).toHaveLength(0)
  warn.mockRestore()
})
