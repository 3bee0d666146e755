import { Hono } from 'hono'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { DecodingTransport, executionContext } from '../../test/decoding-transport.ts'
import { telemetry } from '../runtime/telemetry.ts'
import { otelAnywhere } from './anywhere.ts'

let warn: ReturnType<typeof vi.spyOn>
beforeEach(() => {
  telemetry.reset()
  // Settings come from the process's environment.
  vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', 'http://127.0.0.1:1')
  warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
})
afterEach(() => {
  warn.mockRestore()
  vi.unstubAllEnvs()
})

function appWith(options: Parameters<typeof otelAnywhere>[0]) {
  const transport = new DecodingTransport()
  const app = new Hono()
  app.use(otelAnywhere({ transport, batchDelay: 0, ...options }))
  app.get('/', (c) => c.text('ok'))
  return { app, transport }
}

describe('otelAnywhere schedules the export', () => {
  it('in c.executionCtx.waitUntil first, where Hono has one', async () => {
    const option = vi.fn()
    const { app, transport } = appWith({ waitUntil: option })
    const { ctx, pending } = executionContext()
    expect((await app.request('/', {}, {}, ctx)).status).toBe(200)
    expect(pending).toHaveLength(1)
    expect(option).not.toHaveBeenCalled()
    await Promise.all(pending)
    expect(transport.spans.map((s) => s.name)).toEqual(['GET /'])
  })

  it('in the waitUntil option where neither Hono nor a known platform has one', async () => {
    const handed: Promise<unknown>[] = []
    const { app, transport } = appWith({ waitUntil: (p) => void handed.push(p) })
    expect((await app.request('/')).status).toBe(200)
    expect(handed).toHaveLength(1)
    await Promise.all(handed)
    expect(transport.spans.map((s) => s.name)).toEqual(['GET /'])
  })

  it('in Netlify’s context.waitUntil (Hono’s env under hono/netlify) before the option', async () => {
    const option = vi.fn()
    const handed: Promise<unknown>[] = []
    const { app } = appWith({ waitUntil: option })
    await app.request('/', {}, { context: { waitUntil: (p: Promise<unknown>) => void handed.push(p) } })
    expect(handed).toHaveLength(1)
    expect(option).not.toHaveBeenCalled()
    await Promise.all(handed)
  })

  it('puts the runtime in the resource, not Workers’ cloud, unless OTEL_RESOURCE_ATTRIBUTES names one', async () => {
    const { app, transport } = appWith({ resourceAttributes: { 'cloud.provider': 'gcp' } })
    await app.request('/')
    await telemetry.flush()
    const resource = transport.spans[0].resource
    expect(resource['process.runtime.name']).toBe('nodejs')
    expect(resource['cloud.provider']).toBe('gcp')
    expect(resource['cloud.platform']).toBeUndefined()
  })
})

describe('otelAnywhere and c.env', () => {
  it('hands the handler the adapter’s own env object, not a bindings wrapper made per request', async () => {
    const transport = new DecodingTransport()
    const app = new Hono()
    app.use(otelAnywhere({ transport, batchDelay: 0 }))
    const seen: unknown[] = []
    app.get('/', (c) => {
      seen.push(c.env)
      return c.text('ok')
    })
    // Deno.serve's second argument, a new ServeHandlerInfo for each request.
    const infos = [{ remoteAddr: { hostname: '127.0.0.1' } }, { remoteAddr: { hostname: '127.0.0.2' } }]
    for (const info of infos) expect((await app.request('/', {}, info)).status).toBe(200)
    expect(seen).toEqual(infos)
    expect(seen[0]).toBe(infos[0])
    expect(seen[1]).toBe(infos[1])
    await telemetry.flush()
    expect(transport.spans.map((s) => s.name)).toEqual(['GET /', 'GET /'])
  })
})
