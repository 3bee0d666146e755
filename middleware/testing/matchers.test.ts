// The matchers on what the library really exports: a Hono app with otel() in this process,
// collected with collectTelemetry.
import { metrics, trace } from '@opentelemetry/api'
import { Hono } from 'hono'
import { beforeAll, describe, expect, it } from 'vitest'
import { log, otel } from '../index.ts'
import { type CollectedTelemetry, collectTelemetry } from './collect.ts'
import './matchers.ts'

const app = new Hono()
app.use(otel({ serviceName: 'shop', instrumentGlobalFetch: false }))
app.get('/carts/:id', (c) => {
  trace.getTracer('shop').startActiveSpan('load cart', (span) => {
    trace.getTracer('shop').startActiveSpan('read rows', (rows) => rows.end())
    span.end()
  })
  trace.getTracer('shop').startActiveSpan('price cart', (span) => span.end())
  metrics.getMeter('shop').createCounter('carts.read').add(2, { 'app.cart.kind': 'guest' })
  log.warn('cart is stale', { 'app.cart.id': c.req.param('id') })
  return c.json({ id: c.req.param('id') })
})

let telemetry: CollectedTelemetry<Response>

beforeAll(async () => {
  telemetry = await collectTelemetry(() => app.request('/carts/9'))
})

/** The message a failing assertion throws. */
function failure(assertion: () => void): string {
  try {
    assertion()
  } catch (error) {
    return String((error as Error).message)
  }
  throw new Error('the assertion passed')
}

describe('toContainSpan', () => {
  it('passes on a span with that name, kind, status, attributes and resource, and fails under .not', () => {
    const expectation = {
      name: 'GET /carts/:id',
      kind: 'server',
      status: 'unset',
      attributes: { 'http.response.status_code': 200, 'url.path': expect.stringMatching(/^\/carts\//) },
      resource: { 'service.name': 'shop' },
    } as const
    expect(telemetry.spans).toContainSpan(expectation)
    expect(telemetry).toContainSpan({ name: /^GET / })
    expect(failure(() => expect(telemetry.spans).not.toContainSpan(expectation))).toMatch(/expected no span matching .*, but one arrived:\n {2}trace [0-9a-f]{32}\n {2}└─ GET \/carts\/:id \(server\)/)
  })

  it('prints the near misses and the tree of what arrived on a failure', () => {
    const message = failure(() => expect(telemetry.spans).toContainSpan({ name: 'GET /carts/:id', kind: 'client', attributes: { 'http.response.status_code': 201 } }))
    expect(message).toContain('closest:\n  GET /carts/:id: kind is server, not client; attribute http.response.status_code is 200, not 201')
    expect(message).toMatch(/4 spans arrived:\n {2}trace [0-9a-f]{32}\n {2}└─ GET \/carts\/:id \(server\) \{http.request.method="GET", http.route="\/carts\/:id", http.response.status_code=200/)
    expect(message).toContain('     ├─ load cart (internal) service=shop\n     │  └─ read rows (internal) service=shop\n     └─ price cart (internal) service=shop')
    expect(failure(() => expect(telemetry.spans).toContainSpan({ name: 'GET /carts/:id', attributes: { 'http.route': expect.any(Number) } }))).toContain(
      `expected a span matching {"name":"GET /carts/:id","attributes":{"http.route":"Any<Number>"}}\nclosest:\n  GET /carts/:id: attribute http.route is '/carts/:id', not Any<Number>`,
    )
  })

  it('says what is wrong with a malformed expectation', () => {
    expect(() => expect(telemetry.spans).toContainSpan({ kind: 'serverr' } as never)).toThrow(
      "expectation.kind is 'serverr'; expected one of 'internal', 'server', 'client', 'producer', 'consumer'",
    )
    expect(() => expect(telemetry.spans).toContainSpan({ nam: 'GET /' } as never)).toThrow(
      'expectation.nam is not a property it can have; use name, kind, attributes, status, events, resource',
    )
    expect(() => expect(telemetry.spans).toContainSpan('GET /' as never)).toThrow(`expectation is 'GET /'; expected an object such as { name: 'GET /' }`)
    expect(() => expect(telemetry.spans).toContainSpan({ attributes: ['http.route'] } as never)).toThrow('expectation.attributes is ["http.route"]; expected an object of attribute names to values')
    expect(() => expect(undefined).toContainSpan({ name: 'x' })).toThrow('toContainSpan takes the spans (telemetry.spans) or the telemetry that collectTelemetry or a test collector returned; it was given undefined')
  })
})

describe('toHaveSpanTree', () => {
  it('passes on a parent with a different direct child for each child expectation', () => {
    expect(telemetry.spans).toHaveSpanTree({
      name: 'GET /carts/:id',
      kind: 'server',
      children: [{ name: 'price cart' }, { name: 'load cart', children: [{ name: 'read rows' }] }],
    })
  })

  it('fails on a grandchild given as a child, or one child expectation twice, printing the expected shape and the tree', () => {
    expect(telemetry.spans).not.toHaveSpanTree({ name: 'GET /carts/:id', children: [{ name: 'read rows' }] })
    expect(telemetry.spans).not.toHaveSpanTree({ name: 'GET /carts/:id', children: [{ name: 'price cart' }, { name: 'price cart' }] })
    const message = failure(() => expect(telemetry.spans).toHaveSpanTree({ name: 'GET /carts/:id', children: [{ name: 'read rows' }] }))
    expect(message).toContain('expected spans in this shape (each child a direct child of the span above it):\n  {"name":"GET /carts/:id"}\n    {"name":"read rows"}\n4 spans arrived:')
  })

  it('says where a malformed child is', () => {
    expect(() => expect(telemetry.spans).toHaveSpanTree({ name: 'GET /carts/:id', children: [{ kind: 'sever' as never }] })).toThrow(
      "expectation.children[0].kind is 'sever'; expected one of",
    )
  })
})

describe('toHaveMetric', () => {
  it('passes on totals over the points with those attributes', () => {
    expect(telemetry.metrics).toHaveMetric({ name: 'carts.read', type: 'sum', attributes: { 'app.cart.kind': 'guest' }, value: 2 })
    expect(telemetry.metrics).toHaveMetric({
      name: 'http.server.request.duration',
      type: 'histogram',
      unit: 's',
      attributes: { 'http.route': '/carts/:id' },
      count: 1,
      sum: expect.any(Number),
      buckets: expect.arrayContaining([1]),
    })
  })

  it('says how the metric differs, and lists the metrics that arrived', () => {
    const message = failure(() => expect(telemetry.metrics).toHaveMetric({ name: 'carts.read', type: 'histogram', value: 3 }))
    expect(message).toContain('but its type is sum, not histogram; the value of its 1 matching point is 2, not 3')
    expect(message).toMatch(/metrics that arrived:\n[\s\S]* {2}carts.read \(sum\)\n {4}value=2 \{app.cart.kind="guest"\}/)
    expect(failure(() => expect(telemetry.metrics).toHaveMetric({ name: 'carts.written' }))).toContain("but no metric named 'carts.written' arrived")
    expect(failure(() => expect(telemetry.metrics).toHaveMetric({ name: 'carts.read', attributes: { 'app.cart.kind': 'member' } }))).toContain(
      'none of its points has the attributes {"app.cart.kind":"member"}',
    )
  })

  it('says what is wrong with a malformed expectation', () => {
    expect(() => expect(telemetry.metrics).toHaveMetric({ type: 'sum' } as never)).toThrow('expectation.name is missing')
    expect(() => expect(telemetry.metrics).toHaveMetric({ name: 'carts.read', type: 'counter' } as never)).toThrow(
      "expectation.type is 'counter'; expected one of 'sum', 'gauge', 'histogram'",
    )
  })
})

describe('toHaveLog', () => {
  it('passes on a record with that severity, body and attributes, correlated with its span', () => {
    expect(telemetry).toHaveLog({ severity: 'warn', body: 'cart is stale', attributes: { 'app.cart.id': '9' }, span: { name: 'GET /carts/:id', kind: 'server' } })
    expect(telemetry.logs).toHaveLog({ body: /stale/, span: true })
  })

  it('says how the records differ, and lists them', () => {
    const message = failure(() => expect(telemetry).toHaveLog({ severity: 'error', span: { name: 'load cart' } }))
    expect(message).toContain(`closest:\n  "cart is stale": severity is WARN, not ERROR; its span's name is 'GET /carts/:id', not 'load cart'`)
    expect(message).toMatch(/1 log records arrived:\n {2}WARN "cart is stale" span=[0-9a-f]{16} trace=[0-9a-f]{32} \{app.cart.id="9"\}/)
  })

  it('asks for the whole telemetry when the expectation names a span', () => {
    expect(() => expect(telemetry.logs).toHaveLog({ span: { name: 'GET /carts/:id' } })).toThrow(
      'toHaveLog: expectation.span names a span, so give it the whole telemetry (expect(telemetry).toHaveLog(…)), not telemetry.logs',
    )
    expect(() => expect(telemetry.logs).toHaveLog({ severity: 'warning' } as never)).toThrow("expectation.severity is 'warning'; expected one of 'trace', 'debug', 'info', 'warn', 'error', 'fatal'")
  })
})
