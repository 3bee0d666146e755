import { exports } from 'cloudflare:workers'
import { collectTelemetry } from 'edge-otel/testing'
import { expect, it } from 'vitest'

it('traces GET /orders/:id', async () => {
  const telemetry = await collectTelemetry(() => exports.default.fetch('http://x/orders/7'))

  expect(telemetry.result.status).toBe(200)
  expect(telemetry.spans).toContainSpan({ name: 'GET /orders/:id', kind: 'server', attributes: { 'http.response.status_code': 200 } })
  expect(telemetry.spans).toHaveSpanTree({ name: 'GET /orders/:id', children: [{ name: 'load order', attributes: { 'app.order.id': '7' } }] })
  expect(telemetry.metrics).toHaveMetric({ name: 'http.server.request.duration', attributes: { 'http.route': '/orders/:id' }, count: 1 })
})

it('logs an unknown order in its request span', async () => {
  const telemetry = await collectTelemetry(() => exports.default.fetch('http://x/orders/none'))

  expect(telemetry.result.status).toBe(404)
  expect(telemetry).toHaveLog({ severity: 'warn', body: 'no such order', span: { name: 'GET /orders/:id' } })
})
