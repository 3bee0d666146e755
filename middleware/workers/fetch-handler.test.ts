// traceFetchHandler on real Requests, exporting to a real OTLP receiver: the SERVER span and the
// http.server.request.duration point of each outcome.
import { describe, expect, it } from 'vitest'
import { telemetry } from '../runtime/telemetry.ts'
import { useReceiver } from '../../test/receiver-setup.ts'
import { traceFetchHandler } from './fetch-handler.ts'

const PARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01'

const receiver = useReceiver({ beforeClear: () => telemetry.reset() })

/** Handles `request` with `handler` as one invocation; the handler's response or error, once exported. */
async function handle(request: Request, handler: () => Response | Promise<Response>) {
  const pending: Promise<unknown>[] = []
  const env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '0' }
  const outcome = await traceFetchHandler(request, env, { instrumentGlobalFetch: false }, (p) => void pending.push(p), handler).catch((error: unknown) => error)
  await Promise.all(pending)
  await telemetry.flush()
  await receiver.waitFor(() => receiver.spans.length > 0, 10_000, 'the span')
  const duration = receiver.metrics.filter((m) => m.name === 'http.server.request.duration').flatMap((m) => m.points)
  return { outcome, span: receiver.spans[0], duration }
}

describe('traceFetchHandler', () => {
  it('records a SERVER span by the HTTP conventions, continuing the caller’s traceparent, and the duration', async () => {
    const request = new Request('https://ledger.internal/orders/7?card=4111', { method: 'POST', headers: { traceparent: PARENT, 'user-agent': 'gateway/1' } })
    const { outcome, span, duration } = await handle(request, () => new Response('created', { status: 201 }))
    expect(await (outcome as Response).text()).toBe('created')
    expect(span).toMatchObject({ name: 'POST', kind: 2, traceId: '0af7651916cd43dd8448eb211c80319c', parentSpanId: 'b7ad6b7169203331' })
    expect(span.status.code ?? 0).toBe(0)
    expect(span.attributes).toMatchObject({
      'http.request.method': 'POST',
      'url.path': '/orders/7',
      'url.scheme': 'https',
      'server.address': 'ledger.internal',
      'user_agent.original': 'gateway/1',
      'http.response.status_code': 201,
      'faas.trigger': 'http',
    })
    expect(JSON.stringify(span)).not.toContain('4111')
    expect(duration.map((p) => p.attributes)).toEqual([{ 'http.request.method': 'POST', 'http.response.status_code': 201, 'url.scheme': 'https' }])
  })

  it('marks a 5xx answer ERROR with its status as error.type, and leaves a 4xx unmarked', async () => {
    const failed = await handle(new Request('https://ledger.internal/'), () => new Response(null, { status: 503 }))
    expect(failed.span.status.code).toBe(2)
    expect(failed.span.attributes['error.type']).toBe('503')
    expect(failed.duration[0].attributes).toMatchObject({ 'error.type': '503', 'http.response.status_code': 503 })
    receiver.clear()
    const refused = await handle(new Request('https://ledger.internal/'), () => new Response(null, { status: 404 }))
    expect(refused.span.status.code ?? 0).toBe(0)
    expect(refused.span.attributes['error.type']).toBeUndefined()
    expect(refused.duration[0].attributes['error.type']).toBeUndefined()
  })

  it('rethrows what the handler threw, unchanged, and records it as the 500 the runtime answers', async () => {
    const error = new TypeError('cannot read total')
    const { outcome, span, duration } = await handle(new Request('http://ledger.internal/total'), () => {
      throw error
    })
    expect(outcome).toBe(error)
    expect(span.status.code).toBe(2)
    expect(span.attributes['error.type']).toBe('TypeError')
    expect(duration.map((p) => p.attributes)).toEqual([{ 'error.type': '500', 'http.request.method': 'GET', 'http.response.status_code': 500, 'url.scheme': 'http' }])
  })

  it('starts a trace of its own for a malformed traceparent, and names an unknown method _OTHER', async () => {
    const request = new Request('https://ledger.internal/', { method: 'PURGE', headers: { traceparent: '00-zz-bad-01' } })
    const { span } = await handle(request, () => new Response('ok'))
    expect(span.parentSpanId ?? '').toBe('')
    expect(span.traceId).toMatch(/^[0-9a-f]{32}$/)
    expect(span.name).toBe('HTTP')
    expect(span.attributes).toMatchObject({ 'http.request.method': '_OTHER', 'http.request.method_original': 'PURGE' })
  })
})
