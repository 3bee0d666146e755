// Durable Objects (fetch, RPC, alarm, WebSocket hibernation, storage), WorkerEntrypoint RPC,
// Workflows and email, in workerd with real bindings, read at a real OTLP receiver.
import { resolve } from 'node:path'
import { Miniflare, convertV4MiniflareOptions } from 'miniflare'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ReceivedSpan } from '../middleware/testing/decode.ts'
import { type Receiver, startReceiver } from '../middleware/testing/receiver.ts'
import { bundle } from './functions.ts'
import { CLIENT, SERVER, STATUS_ERROR } from './trace-helpers.ts'

const PRODUCER = 4
const INTERNAL = 1

let receiver: Receiver
let mf: Miniflare

beforeAll(async () => {
  receiver = await startReceiver()
  const entry = resolve(import.meta.dirname, 'fixtures/platform-worker.ts')
  mf = new Miniflare(
    convertV4MiniflareOptions({
      host: '127.0.0.1',
      unsafeTriggerHandlers: true,
      workers: [
        {
          name: 'platform',
          modules: [{ type: 'ESModule' as const, path: resolve(import.meta.dirname, '../.miniflare/platform.mjs'), contents: await bundle(entry) }],
          compatibilityDate: '2026-08-01',
          compatibilityFlags: ['nodejs_compat'],
          bindings: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '0' },
          durableObjects: { LEDGER: { className: 'LedgerObject', useSQLite: true }, PLAIN: { className: 'PlainLedger', useSQLite: true } },
          serviceBindings: { CATALOG: { name: 'platform', entrypoint: 'CatalogApi' } },
          workflows: { ORDER_FLOW: { name: 'order-flow', className: 'OrderFlowWorkflow' } },
        },
      ],
    } as never),
  )
  await mf.ready
}, 60_000)

afterAll(async () => {
  await mf?.dispose()
  await receiver?.close()
})

const get = async (path: string, init?: RequestInit) => {
  const response = await mf.dispatchFetch(`http://127.0.0.1${path}`, init as never)
  return { status: response.status, body: (await response.text()) as string }
}

/** The spans of the trace whose gateway SERVER span has `path`, once `count` of them arrived. */
async function traceOf(path: string, count: number): Promise<ReceivedSpan[]> {
  const root = () => receiver.spans.find((s) => s.kind === SERVER && s.attributes['url.path'] === path && !s.parentSpanId)
  const spans = () => receiver.spans.filter((s) => s.traceId === root()?.traceId)
  await receiver.waitFor(() => spans().length >= count, 15_000, `${count} spans of ${path}`)
  return spans()
}

const one = (spans: ReceivedSpan[], name: string, kind?: number) => {
  const found = spans.filter((s) => s.name === name && (kind === undefined || s.kind === kind))
  if (found.length !== 1) console.log(name, JSON.stringify(receiver.spans.map((s) => [s.name, s.kind, s.traceId.slice(0, 6), s.resource["service.name"]])))
  expect(found, name).toHaveLength(1)
  return found[0]
}

describe('Durable Object RPC', () => {
  it('traces the call as a CLIENT span and the method as a SERVER span under it, in one trace', async () => {
    expect(JSON.parse((await get('/do/add')).body)).toEqual({ sum: 5, count: 2, self: true })
    const spans = await traceOf('/do/add', 3)
    const server = one(spans, 'GET /do/add', SERVER)
    const client = one(spans, 'LEDGER/add', CLIENT)
    const method = one(spans, 'Ledger/add', SERVER)
    expect(client.parentSpanId).toBe(server.spanId)
    expect(method.parentSpanId).toBe(client.spanId)
    expect(client.attributes).toMatchObject({ 'rpc.system.name': 'cloudflare_workers_rpc', 'rpc.method': 'LEDGER/add', 'cloudflare.jsrpc.method': 'add', 'cloudflare.binding.name': 'LEDGER' })
    expect(method.attributes).toMatchObject({ 'rpc.system.name': 'cloudflare_workers_rpc', 'rpc.method': 'Ledger/add', 'cloudflare.jsrpc.method': 'add', 'faas.trigger': 'other' })
    expect(method.resource['service.name']).toBe('platform')
  })

  it('gives the method exactly the arguments the caller gave', async () => {
    expect(JSON.parse((await get('/do/add-one')).body)).toEqual({ sum: 2, count: 1, self: true })
  })

  it('keeps promise pipelining on a traced call', async () => {
    expect((await get('/do/pipeline')).body).toBe('42')
    const spans = await traceOf('/do/pipeline', 5)
    expect(one(spans, 'Ledger/open', SERVER).parentSpanId).toBe(one(spans, 'LEDGER/open', CLIENT).spanId)
  })

  it('hands the caller the error the method threw, and records it on both spans', async () => {
    expect(JSON.parse((await get('/do/fail')).body)).toEqual({ name: 'RangeError', message: 'the ledger is closed' })
    const spans = await traceOf('/do/fail', 3)
    const client = one(spans, 'LEDGER/fail', CLIENT)
    const method = one(spans, 'Ledger/fail', SERVER)
    expect(method.parentSpanId).toBe(client.spanId)
    for (const span of [client, method]) {
      expect(span.status.code).toBe(STATUS_ERROR)
      expect(span.attributes['error.type']).toBe('RangeError')
    }
  })

  it('reaches an uninstrumented object with the same arguments, and still records the CLIENT span', async () => {
    expect(JSON.parse((await get('/do/plain')).body)).toEqual([
      { count: 2, items: [1, null] },
      { count: 0, items: [] },
    ])
    const spans = await traceOf('/do/plain', 3)
    const clients = spans.filter((s) => s.name === 'PLAIN/count')
    expect(clients).toHaveLength(2)
    for (const client of clients) expect(client.status.code ?? 0).toBe(0)
  })
})

describe('Durable Object handlers', () => {
  it('traces stub.fetch as CLIENT and the object fetch as an HTTP SERVER span under it', async () => {
    const body = JSON.parse((await get('/do/fetch')).body)
    const spans = await traceOf('/do/fetch', 3)
    const client = spans.find((s) => s.kind === CLIENT)!
    const object = spans.find((s) => s.kind === SERVER && s.parentSpanId === client.spanId)!
    expect(body.traceparent).toContain(client.spanId)
    expect(object).toMatchObject({ name: 'GET' })
    expect(object.attributes).toMatchObject({ 'faas.trigger': 'http', 'http.request.method': 'GET', 'url.path': '/entries', 'http.response.status_code': 200 })
    // The object's request is counted in http.server.request.duration too: the one point with no http.route.
    const routeless = () =>
      receiver.metrics.filter((m) => m.name === 'http.server.request.duration').flatMap((m) => m.points).filter((p) => p.attributes['http.route'] === undefined)
    await receiver.waitFor(() => routeless().length > 0, 10_000, 'the object request duration')
    expect(routeless()[0].attributes).toEqual({ 'http.request.method': 'GET', 'http.response.status_code': 200, 'url.scheme': 'https' })
  })

  it('traces storage calls as CLIENT spans under the method, without keys or values', async () => {
    expect(JSON.parse((await get('/do/record')).body)).toEqual({ stored: true, listed: 1, rows: 1 })
    const spans = await traceOf('/do/record', 10)
    const method = one(spans, 'Ledger/record', SERVER)
    const storage = spans.filter((s) => s.name.startsWith('durable_object_storage_'))
    expect(storage.map((s) => s.name).sort()).toEqual(
      ['put', 'get', 'list', 'exec', 'exec', 'exec', 'delete'].map((operation) => `durable_object_storage_${operation}`).sort(),
    )
    expect(storage).toHaveLength(7)
    for (const span of storage) {
      expect(span.kind).toBe(CLIENT)
      expect(span.parentSpanId).toBe(method.spanId)
      expect(span.attributes).toMatchObject({ 'db.system.name': 'cloudflare.durable_object_storage', 'db.namespace': 'Ledger' })
      expect(JSON.stringify(span.attributes)).not.toContain('entry:x')
    }
    const exec = storage.filter((s) => s.name === 'durable_object_storage_exec').map((s) => s.attributes['db.query.text'])
    expect(exec).toContain('INSERT INTO entries (name) VALUES (?)')
    expect(new Set(storage.map((s) => s.attributes['db.operation.name']))).toEqual(new Set(['put', 'get', 'list', 'exec', 'delete']))
  })

  it('records db.client.operation.duration for storage calls, with the attributes and buckets of the binding kinds', async () => {
    const points = () =>
      receiver.metrics
        .filter((m) => m.name === 'db.client.operation.duration')
        .flatMap((m) => m.points.map((p) => ({ ...p, unit: m.unit, type: m.type })))
        .filter((p) => p.attributes['db.system.name'] === 'cloudflare.durable_object_storage')
    const counts = () => {
      const byOperation: Record<string, number> = {}
      for (const p of points()) byOperation[String(p.attributes['db.operation.name'])] = (byOperation[String(p.attributes['db.operation.name'])] ?? 0) + (p.count ?? 0)
      return byOperation
    }
    const before = counts()
    const expected = { put: 1, get: 1, list: 1, exec: 3, delete: 1 }
    const grown = () => Object.entries(expected).every(([operation, n]) => (counts()[operation] ?? 0) - (before[operation] ?? 0) >= n)
    expect((await get('/do/record')).status).toBe(200)
    await receiver.waitFor(grown, 15_000, 'the storage operation durations')
    await receiver.idle()
    for (const [operation, n] of Object.entries(expected)) expect(counts()[operation] - (before[operation] ?? 0), operation).toBe(n)
    for (const p of points()) {
      expect(p.unit).toBe('s')
      expect(p.type).toBe('histogram')
      expect(p.explicitBounds).toEqual([0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 10])
      expect(p.attributes).toEqual({ 'db.namespace': 'Ledger', 'db.operation.name': p.attributes['db.operation.name'], 'db.system.name': 'cloudflare.durable_object_storage' })
    }
  })

  it('traces alarm() with faas.trigger=timer, and its storage call under it', async () => {
    expect((await get('/do/alarm')).body).toBe('scheduled')
    await receiver.waitFor(() => receiver.spans.some((s) => s.name === 'alarm Ledger'), 15_000, 'the alarm span')
    const alarm = receiver.spans.find((s) => s.name === 'alarm Ledger')!
    expect(alarm).toMatchObject({ kind: SERVER })
    expect(alarm.attributes['faas.trigger']).toBe('timer')
    await receiver.waitFor(() => receiver.spans.some((s) => s.parentSpanId === alarm.spanId), 10_000, 'the alarm storage span')
    expect(receiver.spans.find((s) => s.parentSpanId === alarm.spanId)!.name).toBe('durable_object_storage_put')
  })

  it('traces WebSocket hibernation handlers, each a root span of its own', async () => {
    const response = await mf.dispatchFetch('http://127.0.0.1/do/socket', { headers: { upgrade: 'websocket' } })
    const ws = response.webSocket!
    expect(ws).toBeTruthy()
    ws.accept()
    const echoed = new Promise<string>((resolve) => ws.addEventListener('message', (event) => resolve(String(event.data)), { once: true }))
    ws.send('hello')
    expect(await echoed).toBe('echo hello')
    ws.send('close')
    await receiver.waitFor(() => receiver.spans.some((s) => s.name === 'webSocketClose Ledger'), 15_000, 'the close span')
    const message = receiver.spans.filter((s) => s.name === 'webSocketMessage Ledger')
    expect(message).toHaveLength(2)
    const close = receiver.spans.find((s) => s.name === 'webSocketClose Ledger')!
    for (const span of [...message, close]) {
      expect(span.kind).toBe(SERVER)
      expect(span.attributes['faas.trigger']).toBe('other')
    }
    ws.close()
  })
})

describe('WorkerEntrypoint RPC', () => {
  it('traces env.SERVICE.method() as CLIENT and the entrypoint method as SERVER under it', async () => {
    expect(JSON.parse((await get('/entrypoint/sku-kiwi')).body)).toEqual({ sku: 'sku-kiwi', available: 7 })
    const spans = await traceOf('/entrypoint/sku-kiwi', 3)
    const client = one(spans, 'CATALOG/stock', CLIENT)
    const method = one(spans, 'Catalog/stock', SERVER)
    expect(method.parentSpanId).toBe(client.spanId)
    expect(method.attributes).toMatchObject({ 'rpc.method': 'Catalog/stock', 'rpc.system.name': 'cloudflare_workers_rpc' })
  })
})

describe('Workflows', () => {
  it('traces each run and step in the trace of the request that created the instance', async () => {
    const { id } = JSON.parse((await get('/workflow', { method: 'POST' })).body)
    const spans = await traceOf('/workflow', 2)
    const create = one(spans, 'create order-flow', PRODUCER)
    await receiver.waitFor(() => receiver.spans.some((s) => s.name === 'step.do confirm'), 30_000, 'the last step span')
    const trace = receiver.spans.filter((s) => s.traceId === create.traceId)
    const runs = trace.filter((s) => s.name === 'run OrderFlow')
    expect(runs.length).toBeGreaterThanOrEqual(1)
    for (const run of runs) {
      expect(run).toMatchObject({ kind: SERVER, parentSpanId: create.spanId })
      expect(run.attributes).toMatchObject({ 'faas.trigger': 'other', 'cloudflare.workflow.name': 'OrderFlow' })
    }
    const runIds = new Set(runs.map((r) => r.spanId))
    for (const name of ['step.do reserve', 'step.sleep settle', 'step.do confirm']) {
      const steps = trace.filter((s) => s.name === name)
      expect(steps.length, name).toBeGreaterThanOrEqual(1)
      for (const step of steps) expect(step.kind === INTERNAL && runIds.has(step.parentSpanId!), name).toBe(true)
    }
    const status = JSON.parse((await get(`/workflow/${id}`)).body)
    expect(status.output).toEqual({ orderId: 7, reserved: true })
  }, 60_000)
})

describe('email', () => {
  it('traces the handler as a root span with faas.trigger=other and the raw size, never the addresses', async () => {
    const raw = ['From: shop@example.com', 'To: orders@example.com', 'Subject: order', 'Message-ID: <order-1@example.com>', '', 'one kiwi please', ''].join('\r\n')
    const response = await mf.dispatchFetch('http://127.0.0.1/cdn-cgi/local/email?from=shop@example.com&to=orders@example.com', { method: 'POST', body: raw })
    expect(response.status).toBeLessThan(300)
    await receiver.waitFor(() => receiver.spans.some((s) => s.name === 'email'), 15_000, 'the email span')
    const span = receiver.spans.find((s) => s.name === 'email')!
    expect(span).toMatchObject({ kind: SERVER })
    expect(span.parentSpanId ?? '').toBe('')
    expect(span.attributes['faas.trigger']).toBe('other')
    expect(span.attributes['cloudflare.email.size']).toBeGreaterThan(0)
    expect(JSON.stringify(span.attributes)).not.toContain('example.com')
  })
})
