import { beforeEach, describe, expect, it } from 'vitest'
import { DecodingTransport } from '../../test/decoding-transport.ts'
import { telemetry } from '../runtime/telemetry.ts'
import { RPC_CALL } from './rpc-client.ts'
import { type Served, traceRpcMethods } from './rpc-server.ts'

const ENV = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' }
const PARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'
let transport: DecodingTransport
let pending: Promise<unknown>[]

class Ledger {
  total = 0
  async add(a: number, b?: number) {
    this.total += a + (b ?? 0)
    return { total: this.total, count: arguments.length, same: this.check() }
  }
  check() {
    return this instanceof Ledger
  }
  async fail(): Promise<never> {
    throw new RangeError('closed')
  }
  get balance() {
    return this.total
  }
  fetch() {
    return 'handler'
  }
}

function tracedLedger() {
  const served = new WeakMap<object, Served>()
  const Traced = class extends Ledger {
    constructor() {
      super()
      served.set(this, { env: ENV, waitUntil: (p) => void pending.push(p) })
    }
  }
  traceRpcMethods(Traced, 'Ledger', new Set(['fetch']), { transport, instrumentGlobalFetch: false }, (self) => served.get(self)!)
  return new Traced() as Ledger & Record<string, (...args: unknown[]) => Promise<unknown>>
}

const exported = async () => {
  await Promise.all(pending)
  await telemetry.flush()
  return transport.spans
}

beforeEach(() => {
  telemetry.reset()
  transport = new DecodingTransport()
  pending = []
})

describe('traceRpcMethods', () => {
  it('continues the caller\'s trace through RPC_CALL, with exactly the caller\'s arguments, on the same instance', async () => {
    const ledger = tracedLedger()
    expect(await ledger[RPC_CALL]({ traceparent: PARENT }, 'add', [2])).toEqual({ total: 2, count: 1, same: true })
    const spans = await exported()
    // One span: the method's own call to check() is part of its invocation.
    expect(spans).toHaveLength(1)
    expect(spans[0]).toMatchObject({
      name: 'Ledger/add',
      kind: 2,
      traceId: '0af7651916cd43dd8448eb211c80319c',
      parentSpanId: 'b7ad6b7169203331',
      attributes: expect.objectContaining({ 'rpc.system.name': 'cloudflare_workers_rpc', 'rpc.method': 'Ledger/add', 'cloudflare.jsrpc.method': 'add', 'faas.trigger': 'other' }),
    })
  })

  it('starts a trace of its own for a method called directly by an untraced caller', async () => {
    const ledger = tracedLedger()
    expect(await ledger.add(1, 2)).toEqual({ total: 3, count: 2, same: true })
    const [span] = await exported()
    expect(span).toMatchObject({ name: 'Ledger/add' })
    expect(span.parentSpanId ?? '').toBe('')
  })

  it('rethrows what the method threw, after recording it', async () => {
    const ledger = tracedLedger()
    await expect(ledger[RPC_CALL]({}, 'fail', [])).rejects.toThrow('closed')
    expect((await exported())[0]).toMatchObject({ status: { code: 2 }, attributes: expect.objectContaining({ 'error.type': 'RangeError' }) })
  })

  it('answers a name that is no RPC method (a handler, a getter, unknown) as workerd does', async () => {
    const ledger = tracedLedger()
    for (const name of ['fetch', 'balance', 'constructor', 'nope', 42]) {
      expect(() => ledger[RPC_CALL]({}, name, [])).toThrow(`The RPC receiver does not implement the method "${String(name)}".`)
    }
    expect(ledger.fetch()).toBe('handler')
    expect(await exported()).toEqual([])
  })
})
