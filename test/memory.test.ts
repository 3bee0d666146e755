// Bounded memory: 20,000 requests through one isolate leave it holding what it held before.
import { Hono } from 'hono'
import { describe, expect, it } from 'vitest'
import { otel, tailSampling } from '../middleware/index.ts'
import { seriesCount } from '../middleware/sdk/metrics/metrics.ts'
import { telemetry } from '../middleware/runtime/telemetry.ts'

const stats = () => ({ bufferedSpans: telemetry.spans.length, metricSeries: seriesCount(telemetry.meterProvider), heldTraces: telemetry.tail?.held.size })

describe('one isolate after 20,000 requests', () => {
  it('holds no spans, no extra metric series and no per-trace state', async () => {
    const app = new Hono()
    app.use(otel({ serviceName: 'memory', transport: { send: async () => {} }, instrumentGlobalFetch: false, batchDelay: 0, tailSampling: tailSampling() }))
    app.get('/items/:id', (c) => c.json({ id: c.req.param('id') }))
    app.get('/fail', () => {
      throw new Error('x')
    })
    app.onError((error, c) => c.text(error.message, 500))
    const env = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' }

    async function serve(n: number) {
      let pending: Promise<unknown>[] = []
      const ctx = { waitUntil: (p: Promise<unknown>) => void pending.push(p), passThroughOnException() {}, props: {} } as unknown as ExecutionContext
      for (let i = 0; i < n; i++) {
        // Distinct trace ids, paths and query strings each time: nothing keyed by them may stay.
        // Every other caller did not sample, so tail sampling holds that request's spans until it ends.
        const flags = i % 2 ? '01' : '00'
        const headers = { traceparent: `00-${(i + 1).toString(16).padStart(32, '0')}-${(i + 1).toString(16).padStart(16, '0')}-${flags}` }
        const path = i % 50 === 0 ? '/fail' : `/items/${i}?page=${i}`
        await (await app.request(path, { headers }, env, ctx)).arrayBuffer()
        if (pending.length > 32) {
          await Promise.all(pending)
          pending = []
        }
      }
      await Promise.all(pending)
      await telemetry.flush()
    }

    await serve(200)
    const before = stats()
    await serve(20_000)
    const after = stats()
    expect(after.bufferedSpans).toBe(0)
    expect(after.metricSeries).toBe(before.metricSeries)
    expect(after.heldTraces).toBe(0)
  }, 120_000)
})
