// The inventory function as a user tests it with edge-otel/testing, inside workerd.
import { exports } from 'cloudflare:workers'
import { collectTelemetry } from 'edge-otel/testing'
import { describe, expect, it } from 'vitest'

describe('inventory', () => {
  it('traces GET /stock/:sku and records its duration', async () => {
    const telemetry = await collectTelemetry(() => exports.default.fetch('http://inventory/stock/sku-apple'))
    expect(telemetry.result.status).toBe(200)
    expect(telemetry.spans).toContainSpan({ name: 'GET /stock/:sku', kind: 'server', attributes: { 'http.response.status_code': 200 } })
    expect(telemetry.metrics).toHaveMetric({ name: 'http.server.request.duration', attributes: { 'http.route': '/stock/:sku' }, count: 1 })
  })

  it('marks a failed lookup as an error with its exception', async () => {
    const telemetry = await collectTelemetry(() => exports.default.fetch('http://inventory/stock/sku-recalled'))
    expect(telemetry.result.status).toBe(500)
    expect(telemetry.spans).toContainSpan({
      name: 'GET /stock/:sku',
      kind: 'server',
      status: 'error',
      events: ['exception'],
      attributes: { 'error.type': 'WarehouseUnavailableError', 'http.response.status_code': 500 },
    })
    expect(telemetry.metrics).toHaveMetric({ name: 'http.server.request.duration', attributes: { 'error.type': 'WarehouseUnavailableError' }, count: 1 })
  })

  it('traces the stock check cron run', async () => {
    const telemetry = await collectTelemetry(() => exports.default.scheduled({ cron: '*/30 * * * *', scheduledTime: Date.now() }))
    expect(telemetry.spans).toContainSpan({ attributes: { 'faas.trigger': 'timer', 'faas.cron': '*/30 * * * *', 'app.stock.low_skus': ['sku-pear', 'sku-fig'] } })
  })
})
