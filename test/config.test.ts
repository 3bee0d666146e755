import { createServer, type IncomingHttpHeaders } from 'node:http'
import { resolve } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { type Receiver, startReceiver } from '../middleware/testing/receiver.ts'
import { type RunningFunctions, exampleFunctions, startFunctions } from './functions.ts'
import { CLIENT, ORDER_TRACE_SIZE, SERVER, find } from './trace-helpers.ts'

let receiver: Receiver | undefined
let functions: RunningFunctions | undefined

afterEach(async () => {
  await functions?.dispose()
  await receiver?.close()
  functions = undefined
  receiver = undefined
})

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function getStatus(path: string, headers?: Record<string, string>): Promise<number> {
  const response = await functions!.fetch(path, { headers })
  await response.arrayBuffer()
  return response.status
}

describe('configuration from env bindings', () => {
  it('exports OTLP/JSON when OTEL_EXPORTER_OTLP_PROTOCOL=http/json, decoded by the schema', async () => {
    receiver = await startReceiver()
    functions = await startFunctions(exampleFunctions(), {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    })
    expect(await getStatus('/orders/21')).toBe(200)
    await receiver.waitFor(() => receiver!.spans.length >= ORDER_TRACE_SIZE && receiver!.metrics.length >= 8, 10_000, 'JSON spans and metrics')
    expect(receiver.requests.length).toBeGreaterThan(0)
    for (const r of receiver.requests) expect(r.contentType).toBe('application/json')
    expect(new Set(receiver.spans.map((s) => s.traceId)).size).toBe(1)
    const inventory = find(receiver.spans, 'inventory', SERVER)
    const ordersClient = find(receiver.spans, 'orders', CLIENT, 'GET')
    expect(inventory.parentSpanId).toBe(ordersClient.spanId)
    expect(inventory.attributes).toMatchObject({ 'http.route': '/stock/:sku', 'http.response.status_code': 200 })
    const duration = receiver.metrics.find((m) => m.name === 'http.server.request.duration' && m.resource['service.name'] === 'inventory')!
    expect(duration).toMatchObject({ type: 'histogram', unit: 's', temporality: 1 })
    expect(duration.points[0].count).toBe(1)
    expect(duration.points[0].bucketCounts!.reduce((a, b) => a + b, 0)).toBe(1)
  })

  it('exports nothing and logs nothing when no endpoint is configured', async () => {
    receiver = await startReceiver()
    // The vars exactly as the wrangler.toml files declare them: OTEL_EXPORTER_OTLP_ENDPOINT = "".
    functions = await startFunctions(exampleFunctions())
    for (const id of ['1', '13', '9999']) await getStatus(`/orders/${id}`)
    await pause(500)
    expect(receiver.requests).toHaveLength(0)
    expect(functions.logs.filter((l) => l.includes('edge-otel'))).toEqual([])
  })

  it('reports each bad setting once, by name and fix, keeps serving, and keeps exporting what it can', async () => {
    receiver = await startReceiver()
    functions = await startFunctions(exampleFunctions(), {
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_HEADERS: 'x-team=edge,broken-entry',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
      OTEL_TRACES_SAMPLER: 'jaeger_remote',
    })
    for (let i = 0; i < 3; i++) expect(await getStatus('/orders/7')).toBe(200)
    await receiver.waitFor(() => receiver!.spans.length >= 3 * ORDER_TRACE_SIZE, 10_000, 'spans despite bad settings')
    for (const r of receiver.requests) {
      expect(r.contentType).toBe('application/x-protobuf')
      expect(r.headers['x-team']).toBe('edge')
      expect(r.headers['user-agent']).toMatch(/^edge-otel\/\d+\.\d+\.\d+$/)
    }
    expect(receiver.spans[0].resource['deployment.environment.name']).toBe('test')
    const protocolWarnings = functions.logs.filter((l) => l.includes('OTEL_EXPORTER_OTLP_PROTOCOL="grpc"'))
    const headerWarnings = functions.logs.filter((l) => l.includes('OTEL_EXPORTER_OTLP_HEADERS: entry 2'))
    // Once per isolate: three functions, three isolates, however many requests.
    expect(protocolWarnings).toHaveLength(3)
    expect(headerWarnings).toHaveLength(3)
    expect(protocolWarnings[0]).toContain('"http/protobuf"')
    expect(headerWarnings[0]).toContain('key=value')
    // An unsupported sampler: named once per isolate, and the default (every trace) is used.
    const samplerWarnings = functions.logs.filter((l) => l.includes('OTEL_TRACES_SAMPLER="jaeger_remote" is not supported; using "parentbased_always_on"'))
    expect(samplerWarnings).toHaveLength(3)
  })

  it('turns export off with a clear message when the endpoint is not a URL, and keeps serving', async () => {
    receiver = await startReceiver()
    functions = await startFunctions(exampleFunctions(), { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })
    expect(await getStatus('/orders/7')).toBe(200)
    expect(await getStatus('/orders/8')).toBe(200)
    const messages = functions.logs.filter((l) => l.includes('OTEL_EXPORTER_OTLP_ENDPOINT="collector:4318" is not an http(s) URL'))
    expect(messages.length).toBeGreaterThanOrEqual(3)
    expect(messages[0]).toContain('http://127.0.0.1:4318')
  })
})

describe('outbound global fetch', () => {
  it('gets a CLIENT span and carries traceparent, tracestate and baggage on the wire', async () => {
    const seen: IncomingHttpHeaders[] = []
    const upstream = createServer((req, res) => {
      seen.push(req.headers)
      res.writeHead(204).end()
    })
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r))
    const port = (upstream.address() as { port: number }).port
    try {
      receiver = await startReceiver()
      functions = await startFunctions(
        [
          {
            name: 'relay',
            entry: resolve(import.meta.dirname, 'fixtures/relay-worker.ts'),
            compatibilityDate: exampleFunctions()[0].compatibilityDate,
            compatibilityFlags: ['nodejs_compat'],
            vars: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, TARGET_URL: `http://127.0.0.1:${port}` },
            services: {},
          },
        ],
      )
      const traceId = '0af7651916cd43dd8448eb211c80319c'
      const status = await getStatus('/relay', {
        traceparent: `00-${traceId}-b7ad6b7169203331-01`,
        tracestate: 'congo=ucfJifl5GOE',
        baggage: 'tenant=acme, plan=pro%20plus;ttl=60',
      })
      expect(status).toBe(200)
      await receiver.waitFor(() => receiver!.spans.length >= 2)
      const client = find(receiver.spans, 'relay', CLIENT)
      expect(client.attributes).toMatchObject({
        'http.request.method': 'GET',
        'server.address': '127.0.0.1',
        'server.port': port,
        'http.response.status_code': 204,
        // The query value of a sensitive key never reaches telemetry.
        'url.full': `http://127.0.0.1:${port}/called?token=REDACTED`,
      })
      expect(seen).toHaveLength(1)
      expect(seen[0].traceparent).toBe(`00-${traceId}-${client.spanId}-01`)
      expect(seen[0].tracestate).toBe('congo=ucfJifl5GOE')
      expect(seen[0].baggage).toBe('tenant=acme,plan=pro%20plus;ttl=60')
      // The exporter's own requests are not traced: only the relay's SERVER and CLIENT spans exist.
      await pause(300)
      expect(receiver.spans).toHaveLength(2)
    } finally {
      await new Promise((r) => upstream.close(r))
    }
  })
})
