// Exactness: counts pushed as deltas by several isolates add up to exactly what was served.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ReceivedMetric } from '../middleware/testing/decode.ts'
import { type Receiver, startReceiver } from '../middleware/testing/receiver.ts'
import { type RunningFunctions, exampleFunctions, startFunctions } from './functions.ts'

interface Plan {
  path: string
  init?: RequestInit
  status: number
  /** Functions that serve this request. */
  served: Array<'gateway' | 'orders' | 'inventory'>
  /** Functions whose server span records an error for it. */
  failed?: Array<'gateway' | 'orders' | 'inventory'>
  /** Functions invoked for it once more by RPC, with no HTTP request: an accepted order's stock reservation. */
  rpc?: Array<'inventory'>
  placed?: 'accepted' | 'rejected'
}

const ALL = ['gateway', 'orders', 'inventory'] as const
const post = (body: string): RequestInit => ({ method: 'POST', body, headers: { 'content-type': 'application/json' } })

/** 150 requests per isolate set, with a known footprint in each function. */
function plan(): Plan[] {
  const p: Plan[] = []
  for (let i = 0; i < 100; i++) p.push({ path: `/orders/${i + 20}`, status: 200, served: [...ALL] })
  for (let i = 0; i < 20; i++) p.push({ path: `/orders/${100000 + i}`, status: 404, served: ['gateway', 'orders'] })
  for (let i = 0; i < 10; i++) p.push({ path: '/orders/13', status: 502, served: [...ALL], failed: [...ALL] })
  for (let i = 0; i < 10; i++) p.push({ path: '/orders', init: post('{"sku":"sku-apple","quantity":1}'), status: 201, served: [...ALL], rpc: ['inventory'], placed: 'accepted' })
  for (let i = 0; i < 5; i++) p.push({ path: '/orders', init: post('{"sku":"sku-pear","quantity":1}'), status: 409, served: [...ALL], placed: 'rejected' })
  for (let i = 0; i < 5; i++) p.push({ path: '/orders', init: post('not json'), status: 400, served: ['gateway', 'orders'] })
  return p
}

let receiver: Receiver
const isolates: RunningFunctions[] = []

beforeAll(async () => {
  receiver = await startReceiver()
  // Two independent sets of isolates: one exports protobuf, the other JSON.
  isolates.push(await startFunctions(exampleFunctions(), { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }))
  isolates.push(await startFunctions(exampleFunctions(), { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }))
})

afterAll(async () => {
  for (const f of isolates) await f.dispose()
  await receiver?.close()
})

function points(metrics: ReceivedMetric[], name: string, service?: string) {
  return metrics.filter((m) => m.name === name && (!service || m.resource['service.name'] === service)).flatMap((m) => m.points)
}

const sum = (values: number[]) => values.reduce((a, b) => a + b, 0)

describe('metrics pushed by many isolates add up exactly', () => {
  it('sums delta counts of http.server.request.duration, faas.* and a user counter to exactly what was served', async () => {
    const requests = plan()
    // Waves of 10 concurrent requests, alternating between the two sets of isolates.
    for (let wave = 0; wave < requests.length; wave += 10) {
      await Promise.all(
        isolates.flatMap((functions) =>
          requests.slice(wave, wave + 10).map(async (r) => {
            const response = await functions.fetch(r.path, r.init)
            await response.arrayBuffer()
            expect(response.status).toBe(r.status)
          }),
        ),
      )
    }

    const expected = Object.fromEntries(ALL.map((f) => [f, 2 * requests.filter((r) => r.served.includes(f)).length]))
    const invoked = Object.fromEntries(ALL.map((f) => [f, expected[f] + 2 * requests.filter((r) => r.rpc?.includes(f as 'inventory')).length]))
    const expectedErrors = Object.fromEntries(ALL.map((f) => [f, 2 * requests.filter((r) => r.failed?.includes(f)).length]))
    expect(expected).toEqual({ gateway: 300, orders: 300, inventory: 250 })

    const served = (service: string) => sum(points(receiver.metrics, 'http.server.request.duration', service).map((p) => p.count!))
    await receiver.waitFor(() => ALL.every((f) => served(f) >= expected[f]), 20_000, 'all request metrics')
    await receiver.idle(500)

    for (const f of ALL) {
      const durations = points(receiver.metrics, 'http.server.request.duration', f)
      expect(sum(durations.map((p) => p.count!)), `${f} requests`).toBe(expected[f])
      for (const p of durations) expect(sum(p.bucketCounts!)).toBe(p.count)
      const errors = sum(points(receiver.metrics, 'faas.errors', f).map((p) => p.value!))
      const invocations = sum(points(receiver.metrics, 'faas.invocations', f).map((p) => p.value!))
      expect([invocations + errors, errors], `${f} invocations and errors`).toEqual([invoked[f], expectedErrors[f]])
      // One cold start per isolate: two isolates per function.
      expect(sum(points(receiver.metrics, 'faas.coldstarts', f).map((p) => p.value!)), `${f} cold starts`).toBe(2)
      const instances = new Set(receiver.metrics.filter((m) => m.resource['service.name'] === f).map((m) => m.resource['service.instance.id']))
      expect(instances.size, `${f} isolates`).toBe(2)
    }

    const placed = points(receiver.metrics, 'orders.placed', 'orders')
    const byStatus = (status: string) => sum(placed.filter((p) => p.attributes['app.order.status'] === status).map((p) => p.value!))
    expect([byStatus('accepted'), byStatus('rejected')]).toEqual([20, 10])
    const placedMetric = receiver.metrics.find((m) => m.name === 'orders.placed')!
    expect(placedMetric).toMatchObject({ type: 'sum', isMonotonic: true, temporality: 1, unit: '{order}' })

    // Both encodings arrived and decoded with the independent decoder.
    const types = new Set(receiver.requests.filter((r) => r.signal === 'metrics').map((r) => r.contentType))
    expect(types).toEqual(new Set(['application/x-protobuf', 'application/json']))
  })

  it('marks the first request of each isolate as a cold start on its span', async () => {
    const coldSpans = receiver.spans.filter((s) => s.attributes['faas.coldstart'] === true)
    // Two isolate sets × four functions, and only the first invocation of each isolate: a request for
    // the three HTTP functions, a queue batch for fulfillment.
    expect(coldSpans).toHaveLength(8)
    expect(new Set(coldSpans.map((s) => s.resource['service.instance.id'])).size).toBe(8)
    expect(coldSpans.filter((s) => s.attributes['faas.trigger'] === 'pubsub').map((s) => s.resource['service.name'])).toEqual(['fulfillment', 'fulfillment'])
    // Every root span is a request's, but the stock reservations' (RPC, faas.trigger=other).
    for (const s of receiver.spans) expect(s.kind === 2 ? s.attributes['faas.trigger'] : 'http').toBe(s.kind === 2 && s.attributes['rpc.system.name'] ? 'other' : 'http')
  })
})
