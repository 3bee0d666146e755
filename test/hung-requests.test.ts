// Requests the runtime drops never end in the middleware: in workerd, 1,000 of them leave
// http.server.active_requests at 0 and nothing held for tail sampling, once EDGE_OTEL_REQUEST_TIMEOUT passes.
import { afterAll, beforeAll, expect, it } from 'vitest'
import { type Receiver, startReceiver } from '../middleware/testing/receiver.ts'
import { type RunningFunctions, fixtureWorker, startFunctions } from './functions.ts'

const HUNG = 1000
let receiver: Receiver
let functions: RunningFunctions

beforeAll(async () => {
  receiver = await startReceiver()
  functions = await startFunctions(
    [fixtureWorker('hangs', 'hung-requests.ts')],
    { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_TRACES_SAMPLER: 'parentbased_always_off', EDGE_OTEL_REQUEST_TIMEOUT: '1000' },
  )
})

afterAll(async () => {
  await functions?.dispose()
  await receiver?.close()
})

/** The value of the last exported point of http.server.active_requests, per attribute set. */
function activeRequests(): Map<string, number> {
  const last = new Map<string, number>()
  for (const metric of receiver.metrics.filter((m) => m.name === 'http.server.active_requests')) {
    for (const point of metric.points) last.set(JSON.stringify(point.attributes), point.value!)
  }
  return last
}

it(`counts ${HUNG} requests that workerd cancelled as hung out of http.server.active_requests, and holds none of their traces`, async () => {
  for (let i = 0; i < HUNG; i += 100) {
    const statuses = await Promise.all(
      Array.from({ length: 100 }, async () => {
        const response = await functions.fetch('/hang')
        await response.arrayBuffer()
        return response.status
      }),
    )
    expect(new Set(statuses)).toEqual(new Set([500]))
  }
  // Past EDGE_OTEL_REQUEST_TIMEOUT, the next request's flush forgets them.
  await new Promise((r) => setTimeout(r, 1200))
  expect((await functions.fetch('/ok')).status).toBe(200)
  await receiver.waitFor(() => receiver.spans.filter((s) => s.name === 'before the hang').length >= HUNG, 20_000, `${HUNG} held spans`)
  await receiver.idle(500)
  expect(activeRequests()).toEqual(new Map([[JSON.stringify({ 'http.request.method': 'GET', 'url.scheme': 'http' }), 0]]))
  // What tail sampling held of each hung request was kept (a hung request is a failed one), each once.
  const held = receiver.spans.filter((s) => s.name === 'before the hang')
  expect(new Set(held.map((s) => s.traceId)).size).toBe(HUNG)
  expect(held).toHaveLength(HUNG)
  expect(functions.logs.some((line) => line.includes(`requests outlived EDGE_OTEL_REQUEST_TIMEOUT (1000 ms)`))).toBe(true)
}, 120_000)
