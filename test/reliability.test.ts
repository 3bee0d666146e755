// The exporter under a struggling collector, in workerd: retries that respect Retry-After,
// data delivered exactly once, and user requests that never wait for telemetry.
import { afterEach, describe, expect, it } from 'vitest'
import { type Receiver, startReceiver } from '../middleware/testing/receiver.ts'
import { deadLetterRecorder, until } from './dead-letters.ts'
import { type RunningFunctions, exampleFunctions, startFunctions } from './functions.ts'
import { ORDER_TRACE_SIZE } from './trace-helpers.ts'

let receiver: Receiver | undefined
let functions: RunningFunctions | undefined

afterEach(async () => {
  await functions?.dispose()
  await receiver?.close()
  functions = receiver = undefined
})

describe('exporting to a collector that answers 503 with Retry-After', () => {
  it('retries after Retry-After, delivers every span once, and never holds up a response', async () => {
    let refused = 0
    let firstAttempt = 0
    const refusedAt: number[] = []
    const acceptedAfterRefusal: number[] = []
    receiver = await startReceiver({
      respond: (r) => {
        firstAttempt ||= Date.now()
        if (r.signal === 'traces' && refused < 2) {
          refused++
          refusedAt.push(Date.now())
          return { status: 503, headers: { 'retry-after': '1' } }
        }
        if (r.signal === 'traces' && refusedAt.length) acceptedAfterRefusal.push(Date.now())
        return 200
      },
    })
    functions = await startFunctions(exampleFunctions(), { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url })

    const responses = await Promise.all(
      ['1', '2', '3', '4', '5'].map(async (id) => {
        const response = await functions!.fetch(`/orders/${id}`)
        await response.arrayBuffer()
        return { status: response.status, done: Date.now() }
      }),
    )
    expect(responses.map((r) => r.status)).toEqual([200, 200, 200, 200, 200])

    await receiver.waitFor(() => receiver!.spans.length >= 5 * ORDER_TRACE_SIZE, 15_000, 'all spans after retries')
    await receiver.idle(1500)
    expect(refused).toBe(2)
    // Every span exactly once.
    expect(receiver.spans).toHaveLength(5 * ORDER_TRACE_SIZE)
    expect(new Set(receiver.spans.map((s) => s.spanId)).size).toBe(5 * ORDER_TRACE_SIZE)
    // Every response was back before the first export attempt: no response waits for telemetry.
    expect(Math.max(...responses.map((r) => r.done))).toBeLessThanOrEqual(firstAttempt)
    // The refused batches came back no sooner than Retry-After allowed.
    expect(Math.max(...acceptedAfterRefusal) - refusedAt[0]).toBeGreaterThanOrEqual(1000)
  })
})

describe('durable delivery through the spill queue', () => {
  it('keeps every trace while the collector is down and delivers each exactly once when it is back', async () => {
    let down = true
    let refusedWhileDown = 0
    receiver = await startReceiver({
      respond: () => {
        if (!down) return 200
        refusedWhileDown++
        return 503
      },
    })
    functions = await startFunctions(exampleFunctions(), {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      // Give up on the live export quickly, so batches reach the queue within the test.
      EDGE_OTEL_RETRY_DEADLINE: '1500',
    })
    const M = 20
    for (let i = 0; i < M; i += 5) {
      const statuses = await Promise.all(
        Array.from({ length: 5 }, async (_, k) => {
          const response = await functions!.fetch(`/orders/${200 + i + k}`)
          await response.arrayBuffer()
          return response.status
        }),
      )
      expect(statuses).toEqual([200, 200, 200, 200, 200])
    }
    // Every live export and the first replays fail while the collector is down.
    await new Promise((r) => setTimeout(r, 4000))
    expect(receiver.spans).toHaveLength(0)
    expect(refusedWhileDown).toBeGreaterThan(0)
    down = false

    await receiver.waitFor(() => receiver!.spans.length >= M * ORDER_TRACE_SIZE, 60_000, 'replayed spans')
    await receiver.idle(3000)
    expect(receiver.spans).toHaveLength(M * ORDER_TRACE_SIZE)
    expect(new Set(receiver.spans.map((s) => s.spanId)).size).toBe(M * ORDER_TRACE_SIZE)
    expect(new Set(receiver.spans.map((s) => s.traceId)).size).toBe(M)
    const replayed = receiver.metrics.filter((m) => m.name === 'edge_otel.exporter.replayed').flatMap((m) => m.points)
    expect(replayed.reduce((n, p) => n + (p.value ?? 0), 0)).toBeGreaterThan(0)
  }, 90_000)
})

describe('the dead-letter queue', () => {
  it('receives a spilled batch whose replays keep failing, after the consumer\'s max_retries', async () => {
    const specs = exampleFunctions()
    const deadLetters = await deadLetterRecorder('otel-spill-dlq', specs[0].compatibilityDate)
    try {
      // A collector that never recovers.
      receiver = await startReceiver({ respond: () => 503 })
      // The gateway's consumer as in wrangler.toml, but giving up after one retry so the test is short.
      const gateway = specs[0]
      gateway.queueConsumers = { 'otel-spill': { ...gateway.queueConsumers!['otel-spill'], maxRetries: 1 } }
      functions = await startFunctions([...specs, deadLetters.spec], { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, EDGE_OTEL_RETRY_DEADLINE: '500' })
      const response = await functions.fetch('/orders/7')
      await response.arrayBuffer()
      expect(response.status).toBe(200)
      await until(() => deadLetters.messages.some((d) => d.signal === 'traces'), 40_000)
      const traces = deadLetters.messages.filter((d) => d.signal === 'traces')
      expect(traces.length).toBeGreaterThan(0)
      expect(traces.reduce((n, d) => n + (d.items ?? 0), 0)).toBeGreaterThan(0)
      expect(receiver.spans).toHaveLength(0)
    } finally {
      await deadLetters.close()
    }
  }, 60_000)
})
