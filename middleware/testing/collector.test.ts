// startTestCollector with the library exporting to it over real HTTP on 127.0.0.1: protobuf with
// gzip (the library's default) and OTLP/JSON without.
import { Hono } from 'hono'
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import { executionContext } from '../../test/decoding-transport.ts'
import { log, otel, otlpJson } from '../index.ts'
import { telemetry } from '../runtime/telemetry.ts'
import { type TestCollector, startTestCollector } from './collector.ts'
import './matchers.ts'

let collector: TestCollector

beforeAll(async () => {
  collector = await startTestCollector()
})
afterAll(() => collector.close())
beforeEach(() => {
  telemetry.reset()
  collector.clear()
})

const app = new Hono()
app.use(otel({ serviceName: 'collected', instrumentGlobalFetch: false, encodings: [otlpJson] }))
app.get('/ping', (c) => {
  log.info('pinged')
  return c.text('pong')
})

async function request(env: Record<string, string>) {
  const { ctx, pending } = executionContext()
  const response = await app.request('/ping', {}, { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url, OTEL_BSP_SCHEDULE_DELAY: '0', ...env }, ctx)
  await Promise.all(pending)
  return response
}

describe('startTestCollector', () => {
  it('listens on 127.0.0.1', () => {
    expect(collector.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
  })

  for (const [encoding, env] of [
    ['protobuf, gzip-compressed', {}],
    ['OTLP/JSON, uncompressed', { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_COMPRESSION: 'none' }],
  ] as const) {
    it(`decodes ${encoding} into the plain objects collectTelemetry returns`, async () => {
      expect((await request(env)).status).toBe(200)
      const arrived = await collector.waitFor((t) => t.spans.length > 0 && t.logs.length > 0 && t.metrics.some((m) => m.name === 'http.server.request.duration'))
      expect(arrived).toContainSpan({ name: 'GET /ping', kind: 'server', resource: { 'service.name': 'collected' } })
      expect(arrived).toHaveMetric({ name: 'http.server.request.duration', attributes: { 'http.route': '/ping' }, count: 1 })
      expect(arrived).toHaveLog({ severity: 'info', body: 'pinged', span: { name: 'GET /ping' } })
      expect(collector.spans).toEqual(arrived.spans)
    })
  }

  it('times out naming the timeout and what did arrive', async () => {
    await request({})
    await collector.waitFor((t) => t.spans.length > 0)
    await expect(collector.waitFor((t) => t.spans.some((s) => s.name === 'GET /never'), { timeout: 100 })).rejects.toThrow(
      /^waitFor timed out after 100 ms \(the timeout option\): the predicate never held\. What arrived:\nspans:\n {2}trace [0-9a-f]{32}\n {2}└─ GET \/ping \(server\)/,
    )
  })

  it('says what is wrong with its arguments', async () => {
    await expect(collector.waitFor('spans' as never)).rejects.toThrow('waitFor takes a function of the telemetry, e.g. (t) => t.spans.length > 0; it was given string')
    await expect(collector.waitFor(() => true, { timeout: 0 })).rejects.toThrow("waitFor's timeout option is 0; give a number of ms above 0")
  })
})
