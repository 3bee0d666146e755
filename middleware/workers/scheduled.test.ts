import { trace } from '@opentelemetry/api'
import { beforeEach, describe, expect, it } from 'vitest'
import { DecodingTransport, executionContext } from '../../test/decoding-transport.ts'
import { telemetry } from '../runtime/telemetry.ts'
import { instrumentScheduled } from './scheduled.ts'

const ENV = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' }
let transport: DecodingTransport

beforeEach(() => {
  telemetry.reset()
  transport = new DecodingTransport()
})

describe('instrumentScheduled', () => {
  it('runs the handler under a cron SERVER span and exports it in waitUntil', async () => {
    let active = false
    const scheduled = instrumentScheduled(
      () => {
        active = trace.getActiveSpan() !== undefined
      },
      { transport, instrumentGlobalFetch: false },
    )
    const { ctx, pending } = executionContext()
    await scheduled({ cron: '*/30 * * * *', scheduledTime: Date.now() }, ENV, ctx)
    expect(active).toBe(true)
    expect(pending).toHaveLength(1)
    await Promise.all(pending)
    expect(transport.spans).toEqual([
      expect.objectContaining({ name: 'cron */30 * * * *', kind: 2, attributes: expect.objectContaining({ 'faas.trigger': 'timer', 'faas.cron': '*/30 * * * *' }) }),
    ])
  })

  it('records a failed run on its span, and still throws, so the platform sees the failure', async () => {
    const scheduled = instrumentScheduled(
      () => {
        throw new TypeError('restock failed')
      },
      { transport, instrumentGlobalFetch: false },
    )
    const { ctx, pending } = executionContext()
    await expect(scheduled({ cron: '0 * * * *', scheduledTime: Date.now() }, ENV, ctx)).rejects.toThrow('restock failed')
    await Promise.all(pending)
    expect(transport.spans[0]).toMatchObject({ status: { code: 2 }, attributes: expect.objectContaining({ 'error.type': 'TypeError' }) })
    expect(transport.points('faas.errors')[0]).toMatchObject({ value: 1, attributes: { 'faas.trigger': 'timer' } })
  })

  it('hands the handler its env with the bindings traced: a D1 query is a CLIENT span under the cron span', async () => {
    class Database {
      prepare(sql: string) {
        return { sql, first: async () => ({ low: 2 }) }
      }
      async batch() {
        return []
      }
      async exec() {
        return { count: 0 }
      }
    }
    const scheduled = instrumentScheduled<{ DB: Database }>(async (_controller, env) => {
      expect(await env.DB.prepare('SELECT count(*) AS low FROM stock WHERE available < 10').first()).toEqual({ low: 2 })
    }, { transport, instrumentGlobalFetch: false })
    const { ctx, pending } = executionContext()
    await scheduled({ cron: '*/30 * * * *', scheduledTime: Date.now() }, { ...ENV, DB: new Database() }, ctx)
    await Promise.all(pending)
    const [query, cron] = transport.spans
    expect(query).toMatchObject({ name: 'd1_first', kind: 3, attributes: expect.objectContaining({ 'db.query.text': 'SELECT count(*) AS low FROM stock WHERE available < ?' }) })
    expect(cron).toMatchObject({ name: 'cron */30 * * * *', spanId: expect.stringMatching(/^[0-9a-f]{16}$/) })
    expect(query.parentSpanId).toBe(cron.spanId)
  })
})
