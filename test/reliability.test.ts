// The exporter under a struggling collector, in workerd: retries that respect Retry-After,
// data delivered exactly once, and user requests that never wait for telemetry.
import { afterEach, describe, expect, it } from 'vitest'
import { type Receiver, startReceiver } from '../infra/receiver/server.ts'
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
