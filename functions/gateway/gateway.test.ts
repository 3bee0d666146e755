// The gateway function as a user tests it with edge-otel/testing, inside workerd, with orders (and
// inventory behind it) as its ORDERS binding.
import { exports } from 'cloudflare:workers'
import { collectTelemetry } from 'edge-otel/testing'
import { describe, expect, it } from 'vitest'

describe('gateway', () => {
  it('traces GET /health', async () => {
    const telemetry = await collectTelemetry(() => exports.default.fetch('http://gateway/health'))
    expect(telemetry.result.status).toBe(200)
    expect(telemetry.spans).toContainSpan({ name: 'GET /health', kind: 'server', attributes: { 'http.route': '/health' } })
    expect(telemetry.metrics).toHaveMetric({ name: 'http.server.request.duration', attributes: { 'http.route': '/health' }, count: 1 })
  })

  it('calls orders in a client span under its server span, and propagates the trace', async () => {
    const telemetry = await collectTelemetry(() => exports.default.fetch('http://gateway/orders/2'))
    expect(telemetry.result.status).toBe(200)
    expect(telemetry.spans).toHaveSpanTree({
      name: 'GET /orders/:id',
      kind: 'server',
      children: [{ kind: 'client', attributes: { 'server.address': 'orders', 'http.response.status_code': 200 } }],
    })
  })
})
