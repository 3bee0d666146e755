import { Hono } from 'hono'
import { beforeEach, describe, expect, it } from 'vitest'
import { otel } from './otel.ts'
import { traceResponse } from './response-headers.ts'
import { telemetry } from '../runtime/telemetry.ts'

beforeEach(() => telemetry.reset())

function app(...extra: Parameters<typeof traceResponse>) {
  const a = new Hono()
  a.use(otel({ transport: { send: async () => {} }, instrumentGlobalFetch: false }), traceResponse(...extra))
  a.get('/', (c) => c.text('ok'))
  return a
}

describe('traceResponse()', () => {
  it('returns the request span as traceresponse, continuing the caller trace', async () => {
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736'
    const response = await app().request('/', { headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` } })
    expect(response.headers.get('traceresponse')).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`))
    expect(response.headers.get('server-timing')).toBeNull()
  })

  it('adds Server-Timing when asked, and can leave traceresponse out', async () => {
    const response = await app({ traceresponse: false, serverTiming: true }).request('/')
    expect(response.headers.get('traceresponse')).toBeNull()
    expect(response.headers.get('server-timing')).toMatch(/^traceparent;desc="00-[0-9a-f]{32}-[0-9a-f]{16}-03"$/)
  })

  it('answers on a copy when the response headers are immutable (a relayed fetch response)', async () => {
    const a = new Hono()
    a.use(otel({ transport: { send: async () => {} }, instrumentGlobalFetch: false }), traceResponse({ serverTiming: true }))
    a.get('/moved', () => Response.redirect('https://example.com/moved', 302))
    const response = await a.request('/moved')
    expect(response.status).toBe(302)
    expect(response.headers.get('location')).toBe('https://example.com/moved')
    expect(response.headers.get('traceresponse')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-03$/)
    expect(response.headers.get('server-timing')).toMatch(/^traceparent;desc="00-/)
  })

  it('sends nothing unless it is added', async () => {
    const a = new Hono()
    a.use(otel({ transport: { send: async () => {} }, instrumentGlobalFetch: false }))
    a.get('/', (c) => c.text('ok'))
    const response = await a.request('/')
    expect(response.headers.get('traceresponse')).toBeNull()
  })
})
