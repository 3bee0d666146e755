import { SpanKind, context, trace } from '@opentelemetry/api'
import { describe, expect, it } from 'vitest'
import { telemetry } from '../../runtime/telemetry.ts'
import { type BindingKind, instrumentBinding } from './client.ts'

function inRequest<T>(fn: () => T): T {
  const span = telemetry.own.tracer.startSpan('server', { kind: SpanKind.SERVER })
  try {
    return context.with(trace.setSpan(context.active(), span), fn)
  } finally {
    span.end()
  }
}

const STORE: BindingKind = {
  system: 'test-store',
  type: 'STORE',
  prefix: 'store',
  operations: { read: {}, write: { event: true }, open: { untraced: true, wrap: (r) => ({ wrapped: r }) } },
}

class Store {
  #secret = 'private field'
  read(this: Store, fail?: Error) {
    return fail ? Promise.reject(fail) : Promise.resolve({ self: this, secret: this.#secret })
  }
  readSync(this: Store) {
    return this.#secret
  }
  write() {
    return 'sync'
  }
  open(name: string) {
    return name
  }
}

describe('instrumentBinding', () => {
  it('calls the original with the binding as `this` (private fields work), and answers the same value', async () => {
    const store = new Store()
    const traced = instrumentBinding(store, STORE, {})
    const result = await inRequest(() => traced.read())
    expect(result.self).toBe(store)
    expect(traced.readSync()).toBe('private field')
    const other = new Store()
    expect((await traced.read.call(other)).self).toBe(other)
  })

  it('rethrows the very error object, inside and outside a traced request', async () => {
    const traced = instrumentBinding(new Store(), STORE, {})
    const error = Object.assign(new Error('boom'), { cause: new Error('root') })
    await expect(inRequest(() => traced.read(error))).rejects.toBe(error)
    await expect(traced.read(error)).rejects.toBe(error)
  })

  it('passes calls outside a traced request through, and records nothing', async () => {
    const before = telemetry.spans.length
    await instrumentBinding(new Store(), STORE, {}).read()
    expect(telemetry.spans.length).toBe(before)
  })

  it('returns synchronous results synchronously, and wraps what `wrap` asks for even outside a request', () => {
    const traced = instrumentBinding(new Store(), STORE, {})
    expect(inRequest(() => traced.write())).toBe('sync')
    expect(traced.open('x')).toEqual({ wrapped: 'x' })
  })

  it("instruments a member that is no method through its operation's wrap, once, and leaves other data members alone", () => {
    const inner = { exec: () => 'rows' }
    const WITH_SQL: BindingKind = { ...STORE, operations: { ...STORE.operations, sql: { untraced: true, wrap: (sql) => ({ inner: sql }) }, size: {} } }
    const traced = instrumentBinding({ sql: inner, size: 3, empty: null }, WITH_SQL, {})
    expect(traced.sql).toEqual({ inner })
    expect(traced.sql).toBe(traced.sql)
    expect(traced.size).toBe(3)
    expect(traced.empty).toBeNull()
  })

  it('does not take Object.prototype names for operations', () => {
    const traced = instrumentBinding(new Store(), STORE, {})
    expect(traced.toString()).toBe('[object Object]')
  })
})
