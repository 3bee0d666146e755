import { SpanKind, context, trace } from '@opentelemetry/api'
import { ATTR_DB_NAMESPACE } from '@opentelemetry/semantic-conventions'
import { beforeEach, describe, expect, it } from 'vitest'
import { DecodingTransport } from '../../../test/decoding-transport.ts'
import { telemetry } from '../../runtime/telemetry.ts'
import { instrumentBinding } from './client.ts'
import { DURABLE_OBJECT_STORAGE } from './durable-object-storage.ts'

let transport: DecodingTransport

beforeEach(() => {
  telemetry.reset()
  transport = new DecodingTransport()
  telemetry.configure({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' }, {}, transport)
})

/** A stand-in for `ctx.storage` that logs each call as it is made (test/platform.test.ts runs the real one). */
function storage() {
  const log: string[] = []
  const data = new Map<string, unknown>()
  return {
    log,
    storage: {
      async put(key: string, value: unknown) {
        log.push(`put ${key}`)
        data.set(key, value)
      },
      async get(key: string) {
        log.push(`get ${key}`)
        return data.get(key)
      },
      async delete(key: string) {
        throw new TypeError(`cannot delete ${key}`)
      },
      getAlarm: async () => null,
      sql: { exec: (query: string, ...bindings: unknown[]) => ({ query, bindings }) },
    },
  }
}

const traceStorage = <S extends object>(raw: S) => instrumentBinding(raw, DURABLE_OBJECT_STORAGE, { [ATTR_DB_NAMESPACE]: 'Ledger' })

function inInvocation<T>(fn: () => T): T {
  const span = telemetry.own.tracer.startSpan('Ledger/record', { kind: SpanKind.SERVER })
  try {
    return context.with(trace.setSpan(context.active(), span), fn)
  } finally {
    span.end()
  }
}

describe('DURABLE_OBJECT_STORAGE', () => {
  it('records each operation as a CLIENT span, calling the storage at once and returning what it returns', async () => {
    const { log, storage: raw } = storage()
    const traced = traceStorage(raw)
    const value = await inInvocation(async () => {
      const write = traced.put('k', 1)
      // Called before anything was awaited: the storage's own ordering and coalescing hold.
      expect(log).toEqual(['put k'])
      await write
      return traced.get('k')
    })
    expect(value).toBe(1)
    expect(inInvocation(() => traced.sql.exec("SELECT * FROM t WHERE id = ? AND name = 'Ann'", 7))).toEqual({
      query: "SELECT * FROM t WHERE id = ? AND name = 'Ann'",
      bindings: [7],
    })
    await telemetry.flush()
    const spans = transport.spans.filter((s) => s.kind === 3)
    expect(spans.map((s) => s.name)).toEqual(['durable_object_storage_put', 'durable_object_storage_get', 'durable_object_storage_exec'])
    expect(spans[2].attributes).toEqual({
      'db.system.name': 'cloudflare.durable_object_storage',
      'db.operation.name': 'exec',
      'db.namespace': 'Ledger',
      'db.query.text': 'SELECT * FROM t WHERE id = ? AND name = ?',
    })
    expect(JSON.stringify(spans)).not.toContain('"k"')
    expect(JSON.stringify(spans)).not.toContain('Ann')
  })

  it('records db.client.operation.duration per operation, with the attributes of the other binding kinds', async () => {
    const { storage: raw } = storage()
    const traced = traceStorage(raw)
    await inInvocation(async () => {
      await traced.put('k', 1)
      await traced.get('k')
      await traced.delete('k').catch(() => {})
      traced.sql.exec('SELECT 1')
    })
    await telemetry.flush()
    const points = transport.metrics.filter((m) => m.name === 'db.client.operation.duration').flatMap((m) => m.points)
    expect(points.map((p) => p.attributes).sort((a, b) => String(a['db.operation.name']).localeCompare(String(b['db.operation.name'])))).toEqual(
      ['delete', 'exec', 'get', 'put'].map((operation) => ({
        'db.namespace': 'Ledger',
        'db.operation.name': operation,
        'db.system.name': 'cloudflare.durable_object_storage',
        ...(operation === 'delete' ? { 'error.type': 'TypeError' } : {}),
      })),
    )
    expect(points.every((p) => p.count === 1)).toBe(true)
  })

  it("hands the caller the storage's error, records it, and leaves other members and untraced calls alone", async () => {
    const { storage: raw } = storage()
    const traced = traceStorage(raw)
    await expect(inInvocation(() => traced.delete('k'))).rejects.toThrow('cannot delete k')
    expect(await traced.getAlarm()).toBeNull()
    await traced.put('outside', 1)
    await telemetry.flush()
    const spans = transport.spans.filter((s) => s.kind === 3)
    expect(spans).toHaveLength(1)
    expect(spans[0]).toMatchObject({ name: 'durable_object_storage_delete', status: { code: 2 }, attributes: expect.objectContaining({ 'error.type': 'TypeError' }) })
  })
})
