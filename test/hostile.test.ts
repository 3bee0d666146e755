// Hostile and malformed context headers, through the real middleware: the instrumented app must
// answer exactly as the same app without telemetry, and never with a 5xx.
import { Hono } from 'hono'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { otel } from '../middleware/index.ts'
import { type RunningFunctions, startExamplesWithReceiver } from './functions.ts'

/** A small deterministic PRNG (mulberry32), so a failure can be replayed. */
function prng(seed: number) {
  return () => {
    seed |= 0
    seed = (seed + 0x6d2b79f5) | 0
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const HEX = '0123456789abcdef'
const PRINTABLE = Array.from({ length: 95 }, (_, i) => String.fromCharCode(32 + i)).join('')

function hostileHeaders(random: () => number): Array<Record<string, string>> {
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)]
  const hex = (n: number, alphabet = HEX) => Array.from({ length: n }, () => pick(alphabet.split(''))).join('')
  const text = (n: number) => Array.from({ length: n }, () => pick(PRINTABLE.split(''))).join('').trim()
  const traceparents = [
    () => `00-${hex(32)}-${hex(16)}-${hex(2)}`,
    () => `00-${'0'.repeat(32)}-${hex(16)}-01`,
    () => `00-${hex(32)}-${'0'.repeat(16)}-01`,
    () => `ff-${hex(32)}-${hex(16)}-01`,
    () => `${hex(2)}-${hex(32)}-${hex(16)}-01-${text(20)}`,
    () => `00-${hex(32, '0123456789abcdefABCDEFxyz')}-${hex(16)}-01`,
    () => `00-${hex(31)}-${hex(17)}-01`,
    () => `00-${hex(32)}-${hex(16)}-01, 00-${hex(32)}-${hex(16)}-01`,
    () => `00-${hex(32)}-${hex(16)}-01${'a'.repeat(8300)}`,
    () => text(Math.floor(random() * 80)),
    () => '-'.repeat(55),
  ]
  const tracestates = [
    () => Array.from({ length: 33 + Math.floor(random() * 10) }, (_, i) => `k${i}=v${i}`).join(','),
    () => `${text(10)}=${text(10)}`,
    () => `rojo=${hex(16)},Bad Key=1`,
    () => `a=1,a=2`,
    () => `tenant@${hex(20)}=1`,
    () => `${'k'.repeat(300)}=1`,
    () => `ok=${'v'.repeat(9000)}`,
    () => ',,, ,\t,',
    () => text(Math.floor(random() * 120)),
  ]
  const baggages = [
    () => `user=${text(30)}`,
    () => `%zz=%zz;%;=`,
    () => Array.from({ length: 200 }, (_, i) => `k${i}=${hex(40)}`).join(','),
    () => `=;=;=,${text(50)}`,
    () => `k=${'x'.repeat(10000)}`,
    () => text(Math.floor(random() * 200)),
  ]
  const out: Array<Record<string, string>> = []
  for (let i = 0; i < 3000; i++) {
    const headers: Record<string, string> = {}
    const casing = (name: string) => (random() < 0.3 ? name.toUpperCase() : random() < 0.5 ? name.replace(/^./, (c) => c.toUpperCase()) : name)
    if (random() < 0.9) headers[casing('traceparent')] = pick(traceparents)()
    if (random() < 0.7) headers[casing('tracestate')] = pick(tracestates)()
    if (random() < 0.6) headers[casing('baggage')] = pick(baggages)()
    out.push(headers)
  }
  return out
}

function app(instrumented: boolean) {
  const a = new Hono()
  if (instrumented) a.use(otel({ serviceName: 'hostile', transport: { send: async () => {} }, instrumentGlobalFetch: false }))
  a.get('/items/:id', (c) => c.json({ id: c.req.param('id'), ua: c.req.header('user-agent') ?? null }))
  a.get('/boom', () => {
    throw new Error('boom')
  })
  a.onError((error, c) => c.text(`failed: ${error.message}`, 500))
  return a
}

describe('hostile context headers', () => {
  it('3000 generated header sets: the instrumented app answers exactly like the bare app', async () => {
    const bare = app(false)
    const traced = app(true)
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' }
    for (const headers of hostileHeaders(prng(20261122))) {
      for (const path of ['/items/42', '/boom', '/missing']) {
        const [a, b] = await Promise.all([bare.request(path, { headers }), traced.request(path, { headers }, env)])
        const context = JSON.stringify(headers).slice(0, 200)
        expect(b.status, context).toBe(a.status)
        expect(await b.text(), context).toBe(await a.text())
        expect([...b.headers].sort(), context).toEqual([...a.headers].sort())
      }
    }
  }, 120_000)
})

describe('hostile context headers in workerd', () => {
  let functions: RunningFunctions
  let dispose: () => Promise<void>

  beforeAll(async () => {
    ;({ functions, dispose } = await startExamplesWithReceiver())
  })
  afterAll(() => dispose?.())

  it('never answers 5xx and keeps the isolate serving', async () => {
    const sets = hostileHeaders(prng(7)).slice(0, 300)
    for (let i = 0; i < sets.length; i += 20) {
      const statuses = await Promise.all(
        sets.slice(i, i + 20).map(async (headers) => {
          const response = await functions.fetch('/orders/7', { headers })
          await response.arrayBuffer()
          return response.status
        }),
      )
      expect(statuses.every((s) => s === 200)).toBe(true)
    }
    const last = await functions.fetch('/orders/8')
    expect(last.status).toBe(200)
    await last.arrayBuffer()
  }, 120_000)
})
