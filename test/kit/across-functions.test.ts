// The kit from Node, as this project's own Miniflare tests run: the example functions in workerd
// export to startTestCollector, and one trace's shape is checked across gateway → orders → inventory.
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type TestCollector, startTestCollector } from '../../middleware/testing/index.ts'
import { type RunningFunctions, exampleFunctions, startFunctions } from '../functions.ts'

let collector: TestCollector
let functions: RunningFunctions

beforeAll(async () => {
  collector = await startTestCollector()
  functions = await startFunctions(exampleFunctions(), { OTEL_EXPORTER_OTLP_ENDPOINT: collector.url })
})

afterAll(async () => {
  await functions?.dispose()
  await collector?.close()
})

const server = (service: string) => (s: { kind: number; resource: Record<string, unknown> }) => s.kind === 2 && s.resource['service.name'] === service

describe('one request across the example functions, read with the test kit', () => {
  it('has the shape gateway → orders → inventory, each call a CLIENT span under its caller', async () => {
    const response = await functions.fetch('/orders/1')
    expect(response.status).toBe(200)
    const telemetry = await collector.waitFor((t) => ['gateway', 'orders', 'inventory'].every((service) => t.spans.some(server(service))))
    expect(telemetry).toHaveSpanTree({
      name: 'GET /orders/:id',
      kind: 'server',
      resource: { 'service.name': 'gateway' },
      children: [
        {
          kind: 'client',
          children: [
            {
              name: 'GET /orders/:id',
              kind: 'server',
              resource: { 'service.name': 'orders' },
              children: [
                { name: 'load order' },
                { kind: 'client', children: [{ name: 'GET /stock/:sku', kind: 'server', resource: { 'service.name': 'inventory' } }] },
              ],
            },
          ],
        },
      ],
    })
    expect(telemetry).toHaveMetric({ name: 'http.server.request.duration', attributes: { 'http.route': '/stock/:sku' }, count: 1 })
  })
})
