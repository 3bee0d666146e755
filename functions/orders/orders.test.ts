// The orders function as a user tests it with edge-otel/testing: inside workerd, with inventory
// behind its INVENTORY binding (vitest.config.ts).
import { exports } from 'cloudflare:workers'
import { collectTelemetry } from 'edge-otel/testing'
import { describe, expect, it } from 'vitest'

describe('orders', () => {
  it('traces GET /orders/:id as a server span with the stock lookup under it', async () => {
    const telemetry = await collectTelemetry(() => exports.default.fetch('http://orders/orders/1'))
    expect(telemetry.result.status).toBe(200)
    expect(telemetry.spans).toContainSpan({
      name: 'GET /orders/:id',
      kind: 'server',
      attributes: { 'http.route': '/orders/:id', 'http.response.status_code': 200 },
      resource: { 'service.name': 'orders' },
    })
    expect(telemetry).toHaveSpanTree({
      name: 'GET /orders/:id',
      kind: 'server',
      children: [{ kind: 'client', attributes: { 'server.address': 'inventory' } }],
    })
    expect(telemetry.spans).toContainSpan({
      name: 'd1_first',
      kind: 'client',
      attributes: { 'db.system.name': 'cloudflare-d1', 'db.query.text': 'SELECT id, sku, quantity FROM orders WHERE id = ?' },
    })
    expect(telemetry.metrics).toHaveMetric({
      name: 'http.server.request.duration',
      type: 'histogram',
      unit: 's',
      attributes: { 'http.route': '/orders/:id', 'http.response.status_code': 200 },
      count: 1,
    })
  })

  it('answers an unknown order 404 without marking the span an error', async () => {
    const telemetry = await collectTelemetry(() => exports.default.fetch('http://orders/orders/999999'))
    expect(telemetry.result.status).toBe(404)
    expect(telemetry.spans).toContainSpan({ name: 'GET /orders/:id', kind: 'server', status: 'unset', attributes: { 'http.response.status_code': 404 } })
  })

  it('counts a placed order and logs it in the request span', async () => {
    const telemetry = await collectTelemetry(() =>
      exports.default.fetch('http://orders/orders', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sku: 'sku-apple', quantity: 2 }),
      }),
    )
    expect(telemetry.result.status).toBe(201)
    expect(telemetry.metrics).toHaveMetric({ name: 'orders.placed', attributes: { 'app.order.status': 'accepted' }, value: 1 })
    expect(telemetry).toHaveLog({
      severity: 'info',
      body: 'order accepted',
      attributes: { 'app.order.sku': 'sku-apple' },
      span: { name: 'POST /orders', kind: 'server' },
    })
  })

  it('logs a rejected order as a warning', async () => {
    const telemetry = await collectTelemetry(() =>
      exports.default.fetch('http://orders/orders', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ sku: 'sku-unknown', quantity: 1 }),
      }),
    )
    expect(telemetry.result.status).toBe(409)
    expect(telemetry.metrics).toHaveMetric({ name: 'orders.placed', attributes: { 'app.order.status': 'rejected' }, value: 1 })
    expect(telemetry).toHaveLog({ severity: 'warn', body: 'order rejected', span: true })
  })
})
