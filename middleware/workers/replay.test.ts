import { describe, expect, it, vi } from 'vitest'
import { DecodingTransport } from '../../test/decoding-transport.ts'
import { encodeTracesProto } from '../exporter/proto/encode.ts'
import { type SpillQueue, spill } from '../exporter/spill.ts'
import { telemetry } from '../runtime/telemetry.ts'
import type { FinishedSpan } from '../sdk/trace/tracer.ts'
import { replayTelemetry } from './replay.ts'

const ENV = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' }
const span = {
  name: 'spilled', kind: 1, context: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: 1 }, parentSpanId: undefined,
  parentIsRemote: false, scope: { name: 'test' }, startTime: 1, endTime: 2, attributes: {}, droppedAttributes: 0, events: [], droppedEvents: 0,
  links: [], droppedLinks: 0, status: { code: 0 },
} as unknown as FinishedSpan

/** A spilled batch as the spill queue delivers it, with its ack and retry calls recorded. */
async function spilledMessage(attempts = 1) {
  let body: unknown
  const queue: SpillQueue = { send: async (message) => void (body = message) }
  await spill(queue, { signal: 'traces', contentType: 'application/x-protobuf', body: encodeTracesProto({ 'service.name': 'spiller' }, [span]), items: 1 })
  return { body, attempts, ack: vi.fn(), retry: vi.fn() }
}

describe('replayTelemetry', () => {
  it('sends spilled batches again, as they were, and acknowledges them', async () => {
    telemetry.reset()
    const transport = new DecodingTransport()
    telemetry.configure(ENV, {}, transport)
    const message = await spilledMessage()
    await replayTelemetry()({ messages: [message] }, ENV)
    expect(message.ack).toHaveBeenCalled()
    expect(transport.spans.map((s) => [s.name, s.resource['service.name']])).toEqual([['spilled', 'spiller']])
    expect(transport.points('edge_otel.exporter.replayed')[0]).toMatchObject({ value: 1 })
  })

  it('has the queue retry a batch the collector still refuses, later each time, and drops what is not a batch', async () => {
    telemetry.reset()
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    telemetry.configure(ENV, {}, { send: async () => Promise.reject(new Error('collector down')) })
    const message = await spilledMessage(5)
    const foreign = { body: { hello: 'world' }, attempts: 1, ack: vi.fn(), retry: vi.fn() }
    await replayTelemetry()({ messages: [message, foreign] }, ENV)
    expect(message.retry).toHaveBeenCalledWith({ delaySeconds: 32 })
    expect(message.ack).not.toHaveBeenCalled()
    expect(foreign.ack).toHaveBeenCalled()
    expect(warn.mock.calls.map((c) => String(c[0]))).toEqual(
      expect.arrayContaining([
        '[edge-otel] replaying spilled traces failed (Error: collector down); the queue will retry it.',
        '[edge-otel] the spill queue held a message that is not a spilled telemetry batch; it was acknowledged and dropped.',
      ]),
    )
    warn.mockRestore()
  })
})
