import { beforeEach, describe, expect, it } from 'vitest'
import { DecodingTransport, executionContext } from '../../test/decoding-transport.ts'
import { instrumentQueueHandler } from './queue.ts'
import { instrumentScheduled } from './scheduled.ts'
import { tailSampling } from '../runtime/tail-sampling.ts'
import { telemetry } from '../runtime/telemetry.ts'
import { LIBRARY_NAME, LIBRARY_VERSION } from '../sdk/version.ts'

// Every trace dropped by the head sampler: only tail sampling can keep one.
const ENV = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1', OTEL_TRACES_SAMPLER: 'always_off' }

function message(id: string, body: unknown) {
  return { id, body, attempts: 1, ack() {}, retry() {} }
}

let transport: DecodingTransport
beforeEach(() => {
  telemetry.reset()
  transport = new DecodingTransport()
  telemetry.configure(ENV, { tailSampling: tailSampling({ slowMs: 1000 }) }, transport)
})

describe('tail sampling outside requests', () => {
  const consumer = instrumentQueueHandler<{ sku: string }>((m) => {
    if (m.body.sku === 'poison') throw new Error('poison message')
  })

  it('keeps a consumer batch in which a message failed, whole', async () => {
    const { ctx, pending } = executionContext()
    await consumer({ queue: 'orders', messages: [message('1', { sku: 'fig' }), message('2', { sku: 'poison' })] }, ENV, ctx)
    await Promise.all(pending)
    expect(transport.spans).toHaveLength(3)
    expect(new Set(transport.spans.map((s) => s.traceId)).size).toBe(1)
    expect(transport.spans.filter((s) => s.status.code === 2)).toHaveLength(2) // the poison message and its batch
    expect(telemetry.tail?.held.size).toBe(0)
    // Counted in the library's one meter, beside its own instruments.
    const consumed = transport.metrics.find((m) => m.name === 'messaging.client.consumed.messages')
    expect(consumed?.scope).toMatchObject({ name: LIBRARY_NAME, version: LIBRARY_VERSION })
  })

  it('drops a consumer batch that went well, and holds nothing after it', async () => {
    const { ctx, pending } = executionContext()
    await consumer({ queue: 'orders', messages: [message('1', { sku: 'fig' })] }, ENV, ctx)
    await Promise.all(pending)
    expect(transport.spans).toHaveLength(0)
    expect(telemetry.tail?.held.size).toBe(0)
  })

  it('keeps a failed cron run and drops a good one', async () => {
    const cron = instrumentScheduled((controller: { cron: string }) => {
      if (controller.cron === '0 * * * *') throw new Error('restock failed')
    })
    const good = executionContext()
    await cron({ cron: '*/5 * * * *', scheduledTime: 0 }, ENV, good.ctx)
    await Promise.all(good.pending)
    expect(transport.spans).toHaveLength(0)
    const bad = executionContext()
    await expect(cron({ cron: '0 * * * *', scheduledTime: 0 }, ENV, bad.ctx)).rejects.toThrow('restock failed')
    await Promise.all(bad.pending)
    expect(transport.spans.map((s) => s.name)).toEqual(['cron 0 * * * *'])
  })
})
