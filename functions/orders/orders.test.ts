import { exports } from 'cloudflare:workers'
import { collectTelemetry } from 'edge-otel/testing'
import { describe, expect, it } from 'vitest'

describe('orders', () => {
  it('answers GET /orders/:id with a server span', async () => {
    const telemetry = await collectTelemetry(() => exports.default.fetch('http://orders/orders/1'))
    console.log(telemetry.result.status)
    expect(telemetry.spans).toContainSpan({ name: 'GET /orders/:id', kind: 'server', attributes: { 'http.response.status_code': 200 } })
  })
})
