import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest'
import type { Receiver } from '../middleware/testing/receiver.ts'
import { type RunningFunctions, startExamplesWithReceiver } from './functions.ts'
import { CLIENT, ORDER_TRACE_SIZE, SERVER, STATUS_ERROR, byTrace, find, orderTrace } from './trace-helpers.ts'

const BOUNDARIES = [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10]

let receiver: Receiver
let functions: RunningFunctions
let dispose: () => Promise<void>

beforeAll(async () => {
  ;({ receiver, functions, dispose } = await startExamplesWithReceiver())
})

afterAll(() => dispose?.())

beforeEach(async () => {
  // Exports are delayed by OTEL_BSP_SCHEDULE_DELAY: let the previous test's arrive before clearing.
  await receiver.idle()
  receiver.clear()
})

async function get(path: string, headers?: Record<string, string>) {
  const response = await functions.fetch(path, { headers })
  return { status: response.status, body: await response.json() }
}

describe('the three example functions in workerd, exporting OTLP/HTTP protobuf to a real receiver', () => {
  it('GET /orders/:id is one trace across gateway, orders and inventory with correct parent links', async () => {
    const { status, body } = await get('/orders/7', { 'user-agent': 'edge-otel-test' })
    expect(status).toBe(200)
    expect(body).toEqual({ id: 7, sku: 'sku-plum', quantity: 2, inStock: true })
    await receiver.waitFor(() => receiver.spans.length >= ORDER_TRACE_SIZE, 10_000, 'eight spans')

    const spans = receiver.spans
    expect(spans).toHaveLength(ORDER_TRACE_SIZE)
    expect(new Set(spans.map((s) => s.traceId)).size).toBe(1)
    expect(receiver.requests.every((r) => r.contentType === 'application/x-protobuf')).toBe(true)

    const { gatewayServer, gatewayClient, ordersServer, ordersUser, ordersQuery, inventoryServer, inventoryCache } = orderTrace(spans)
    expect(gatewayServer.parentSpanId).toBeUndefined()

    expect(gatewayServer.name).toBe('GET /orders/:id')
    expect(gatewayServer.attributes).toEqual({
      'http.request.method': 'GET',
      'url.path': '/orders/7',
      'url.scheme': 'http',
      'server.address': '127.0.0.1',
      'server.port': 8787,
      'user_agent.original': 'edge-otel-test',
      // Miniflare passes the request.cf that workerd gives a client speaking HTTP/1.1.
      'network.protocol.version': '1.1',
      'http.route': '/orders/:id',
      'http.response.status_code': 200,
      'faas.trigger': 'http',
      // The first request this isolate served.
      'faas.coldstart': true,
    })
    expect(gatewayServer.status.code ?? 0).toBe(0)
    expect(gatewayClient.name).toBe('GET')
    expect(gatewayClient.attributes).toMatchObject({
      'http.request.method': 'GET',
      'server.address': 'orders',
      'url.full': 'https://orders/orders/7',
      'http.response.status_code': 200,
    })
    expect(ordersServer.name).toBe('GET /orders/:id')
    expect(ordersServer.attributes).toMatchObject({ 'http.route': '/orders/:id', 'app.order.id': 7, 'url.path': '/orders/7' })
    expect(inventoryServer.name).toBe('GET /stock/:sku')
    expect(inventoryServer.attributes).toMatchObject({ 'url.path': '/stock/sku-plum', 'http.response.status_code': 200 })
    // orders reads the order from D1, inventory its stock from the KV cache: CLIENT spans by Cloudflare's names.
    expect(ordersQuery.attributes).toEqual({
      'db.system.name': 'cloudflare-d1',
      'db.operation.name': 'first',
      'db.namespace': 'DB',
      'db.query.text': 'SELECT id, sku, quantity FROM orders WHERE id = ?',
      'db.response.returned_rows': 1,
      'cloudflare.binding.type': 'D1',
      'cloudflare.binding.name': 'DB',
    })
    expect(inventoryCache?.attributes).toEqual({
      'db.system.name': 'cloudflare-kv',
      'db.operation.name': 'get',
      'db.namespace': 'STOCK_CACHE',
      'db.response.returned_rows': 1,
      'cloudflare.binding.type': 'KV',
      'cloudflare.binding.name': 'STOCK_CACHE',
      'cloudflare.kv.query.keys.count': 1,
      'cloudflare.kv.query.type': 'json',
    })
    // The remote parent is marked in the span flags (HAS_IS_REMOTE | IS_REMOTE), the local one is not.
    expect((ordersServer.flags ?? 0) & 0x300).toBe(0x300)
    expect((ordersUser.flags ?? 0) & 0x300).toBe(0x100)
  })

  it('reads stock through the KV cache: a miss reads the catalogue and puts it back, the next read hits', async () => {
    const cache = await functions.mf.getKVNamespace('STOCK_CACHE', 'inventory')
    await cache.delete('stock:sku-kiwi')
    expect((await get('/orders/9')).body).toEqual({ id: 9, sku: 'sku-kiwi', quantity: 1, inStock: true })
    await receiver.waitFor(() => receiver.spans.length >= ORDER_TRACE_SIZE + 1, 10_000, 'the miss trace')
    const inventory = receiver.spans.filter((s) => s.resource['service.name'] === 'inventory' && s.kind === CLIENT)
    expect(inventory.map((s) => [s.name, s.attributes['db.response.returned_rows']])).toEqual([
      ['kv_get', 0],
      ['kv_put', undefined],
    ])
    expect(await cache.get('stock:sku-kiwi', 'json')).toMatchObject({ sku: 'sku-kiwi', available: 300 })
    await receiver.idle()
    receiver.clear()
    await get('/orders/9')
    await receiver.waitFor(() => receiver.spans.length >= ORDER_TRACE_SIZE)
    expect(receiver.spans.filter((s) => s.resource['service.name'] === 'inventory' && s.kind === CLIENT).map((s) => s.name)).toEqual(['kv_get'])
  })

  it('puts a resource on every span that names the function and its isolate', async () => {
    await get('/orders/8')
    await receiver.waitFor(() => receiver.spans.length >= ORDER_TRACE_SIZE)
    for (const span of receiver.spans) {
      const service = span.resource['service.name']
      expect(['gateway', 'orders', 'inventory']).toContain(service)
      expect(span.resource).toMatchObject({
        'faas.name': service,
        'service.version': '1.0.0',
        'deployment.environment.name': 'local',
        'cloud.provider': 'cloudflare',
        'cloud.platform': 'cloudflare.workers',
        'telemetry.sdk.name': 'edge-otel',
        'telemetry.sdk.language': 'webjs',
      })
      expect(span.resource['telemetry.sdk.version']).toMatch(/^\d+\.\d+\.\d+/)
      expect(span.resource['service.instance.id']).toMatch(/^[0-9a-f-]{36}$/)
    }
    const instances = new Set(receiver.spans.map((s) => s.resource['service.instance.id']))
    expect(instances.size).toBe(3)
  })

  it('marks a thrown error ERROR with the exception, and a 404 without error', async () => {
    expect((await get('/orders/13')).status).toBe(502)
    expect((await get('/orders/9999')).status).toBe(404)
    await receiver.waitFor(() => receiver.spans.length >= ORDER_TRACE_SIZE + 3)

    const failing = receiver.spans.find((s) => s.attributes['url.path'] === '/orders/13' && s.resource['service.name'] === 'gateway')!
    const trace = receiver.spans.filter((s) => s.traceId === failing.traceId)
    const inventory = find(trace, 'inventory', SERVER)
    expect(inventory.status.code).toBe(STATUS_ERROR)
    expect(inventory.attributes).toMatchObject({ 'http.response.status_code': 500, 'error.type': 'WarehouseUnavailableError' })
    const exception = inventory.events.find((e) => e.name === 'exception')!
    expect(exception.attributes).toMatchObject({
      'exception.type': 'WarehouseUnavailableError',
      'exception.message': 'warehouse for sku-recalled is not answering',
    })
    expect(String(exception.attributes['exception.stacktrace'])).toContain('WarehouseUnavailableError')
    const ordersClient = find(trace, 'orders', CLIENT, 'GET')
    expect(ordersClient.status.code).toBe(STATUS_ERROR)
    expect(ordersClient.attributes['error.type']).toBe('500')
    const ordersServer = find(trace, 'orders', SERVER)
    expect(ordersServer.status.code).toBe(STATUS_ERROR)
    expect(ordersServer.attributes).toMatchObject({ 'http.response.status_code': 502, 'error.type': '502' })

    const notFound = receiver.spans.filter((s) => s.attributes['url.path'] === '/orders/9999')
    for (const span of notFound) {
      expect(span.attributes['http.response.status_code']).toBe(404)
      expect(span.status.code ?? 0).toBe(0)
      expect(span.attributes['error.type']).toBeUndefined()
    }
  })

  it('redacts secrets: sensitive query values, and never records credentials or cookies', async () => {
    const secret = 's3cr3t-value'
    await get(`/orders/7?token=${secret}&page=2&Signature=${secret}`, {
      authorization: `Bearer ${secret}`,
      cookie: `session=${secret}`,
      'proxy-authorization': `Basic ${secret}`,
    })
    await receiver.waitFor(() => receiver.spans.length >= ORDER_TRACE_SIZE)
    const gateway = find(receiver.spans, 'gateway', SERVER)
    expect(gateway.attributes['url.query']).toBe('token=REDACTED&page=2&Signature=REDACTED')
    expect(JSON.stringify(receiver.spans)).not.toContain(secret)
  })

  it('names an unrouted request by its method only, with no http.route', async () => {
    const response = await functions.fetch('/no/such/route')
    expect(response.status).toBe(404)
    await response.text()
    await receiver.waitFor(() => receiver.spans.length >= 1)
    const [span] = receiver.spans
    expect(span.name).toBe('GET')
    expect(span.attributes['http.route']).toBeUndefined()
  })

  it('records http.server.request.duration and http.client.request.duration as delta histograms in seconds', async () => {
    for (const id of ['1', '2', '3']) await get(`/orders/${id}`)
    await get('/orders/9999')
    const serverCount = (service: string) =>
      receiver.metrics
        .filter((m) => m.name === 'http.server.request.duration' && m.resource['service.name'] === service)
        .flatMap((m) => m.points)
        .reduce((n, p) => n + (p.count ?? 0), 0)
    await receiver.waitFor(() => serverCount('gateway') === 4 && serverCount('orders') === 4 && serverCount('inventory') === 3, 10_000, 'request metrics')

    for (const m of receiver.metrics.filter((m) => m.name.startsWith('http.') && m.name.endsWith('.request.duration'))) {
      expect(m.type).toBe('histogram')
      expect(m.unit).toBe('s')
      expect(m.temporality).toBe(1)
      for (const p of m.points) {
        expect(p.explicitBounds).toEqual(BOUNDARIES)
        expect(p.bucketCounts).toHaveLength(BOUNDARIES.length + 1)
        expect(p.bucketCounts!.reduce((a, b) => a + b, 0)).toBe(p.count)
        expect(p.sum).toBeGreaterThanOrEqual(0)
        expect(BigInt(p.timeUnixNano)).toBeGreaterThanOrEqual(BigInt(p.startTimeUnixNano))
      }
    }
    const gatewayPoints = receiver.metrics
      .filter((m) => m.name === 'http.server.request.duration' && m.resource['service.name'] === 'gateway')
      .flatMap((m) => m.points)
    for (const p of gatewayPoints) {
      expect(Object.keys(p.attributes).sort()).toEqual(
        ['http.request.method', 'http.response.status_code', 'http.route', 'url.scheme'].sort(),
      )
      expect(p.attributes['http.route']).toBe('/orders/:id')
      expect(JSON.stringify(p.attributes)).not.toContain('/orders/1')
    }
    const ok = gatewayPoints.filter((p) => p.attributes['http.response.status_code'] === 200).reduce((n, p) => n + p.count!, 0)
    const missing = gatewayPoints.filter((p) => p.attributes['http.response.status_code'] === 404).reduce((n, p) => n + p.count!, 0)
    expect([ok, missing]).toEqual([3, 1])

    const client = receiver.metrics.filter((m) => m.name === 'http.client.request.duration' && m.resource['service.name'] === 'orders')
    const clientAttributes = client.flatMap((m) => m.points).map((p) => p.attributes)
    expect(clientAttributes[0]).toMatchObject({ 'http.request.method': 'GET', 'server.address': 'inventory', 'url.scheme': 'https' })
  })

  it('continues an incoming traceparent and tracestate through all three functions', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
    const parent = '00f067aa0ba902b7'
    await get('/orders/5', { traceparent: `00-${traceId}-${parent}-01`, tracestate: 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE' })
    await receiver.waitFor(() => receiver.spans.length >= ORDER_TRACE_SIZE)
    expect(new Set(receiver.spans.map((s) => s.traceId))).toEqual(new Set([traceId]))
    const gateway = find(receiver.spans, 'gateway', SERVER)
    expect(gateway.parentSpanId).toBe(parent)
    expect((gateway.flags ?? 0) & 0x300).toBe(0x300)
    for (const s of receiver.spans) expect(s.traceState).toBe('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE')
  })

  it.each([
    ['garbage', 'not-a-traceparent'],
    ['all-zero trace id', '00-00000000000000000000000000000000-00f067aa0ba902b7-01'],
    ['uppercase hex', '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01'],
    ['version ff', 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'],
    ['oversized', `00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01${'x'.repeat(9000)}`],
  ])('starts a new trace for a malformed traceparent (%s) and still answers 200', async (_, traceparent) => {
    const { status } = await get('/orders/5', { traceparent, tracestate: 'rojo=1' })
    expect(status).toBe(200)
    await receiver.waitFor(() => receiver.spans.length >= ORDER_TRACE_SIZE)
    const gateway = find(receiver.spans, 'gateway', SERVER)
    expect(gateway.parentSpanId).toBeUndefined()
    expect(gateway.traceId).not.toBe('4bf92f3577b34da6a3ce929d0e0e4736')
    expect(gateway.traceState).toBeFalsy()
    expect(new Set(receiver.spans.map((s) => s.traceId)).size).toBe(1)
  })

  it('keeps 100 concurrent requests in one isolate as 100 complete, unmixed traces', async () => {
    const ids = Array.from({ length: 100 }, (_, i) => String(i + 100))
    const responses = await Promise.all(ids.map((id) => get(`/orders/${id}`)))
    expect(responses.map((r) => r.status)).toEqual(ids.map(() => 200))
    await receiver.waitFor(() => receiver.spans.length >= 100 * ORDER_TRACE_SIZE, 20_000, '800 spans')
    await new Promise((r) => setTimeout(r, 300)) // anything exported twice would arrive by now
    expect(receiver.spans).toHaveLength(100 * ORDER_TRACE_SIZE)

    const traces = byTrace(receiver.spans)
    expect(traces.size).toBe(100)
    const seen = new Set<string>()
    for (const spans of traces.values()) {
      expect(spans).toHaveLength(ORDER_TRACE_SIZE)
      const { gatewayServer, gatewayClient, ordersServer } = orderTrace(spans)
      // Every span of the trace belongs to the same order.
      const path = String(gatewayServer.attributes['url.path'])
      expect(ordersServer.attributes['url.path']).toBe(path)
      expect(gatewayClient.attributes['url.full']).toBe(`https://orders${path}`)
      expect(String(ordersServer.attributes['app.order.id'])).toBe(path.split('/')[2])
      seen.add(path)
    }
    expect(seen.size).toBe(100)
    // Requests that end close together share exports: 300 function requests, far fewer POSTs.
    expect(receiver.requests.length).toBeLessThanOrEqual(0.25 * 300)
  })
})
