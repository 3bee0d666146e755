// captureTelemetry on this process's runtime, around the library's real middleware: what the test
// kit (collect.ts) builds on. It wraps the runtime for good, so every test here runs captured.
import { Hono } from 'hono'
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { executionContext } from '../../test/decoding-transport.ts'
import { otel } from '../index.ts'
import { telemetry } from '../runtime/telemetry.ts'
import { type CaptureControl, captureTelemetry } from './capture.ts'
import { CapturingTransport } from './payloads.ts'

const transport = new CapturingTransport()
const heard: string[] = []
const flushes: Promise<void>[] = []
let control: CaptureControl
let release: (() => void) | undefined

const app = new Hono()
app.use(otel({ serviceName: 'captured', instrumentGlobalFetch: false, batchDelay: 60_000 }))
app.get('/held', async (c) => {
  await new Promise<void>((r) => (release = r))
  return c.text('released')
})
app.get('/fails', () => {
  throw new TypeError('broken')
})
app.get('/ok', (c) => c.text('ok'))

beforeAll(() => {
  // Configured before the capture starts: the capture takes over the transport in force.
  telemetry.configure({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' }, { serviceName: 'captured', instrumentGlobalFetch: false, batchDelay: 60_000 } as never)
  control = captureTelemetry({
    transport,
    onFlush: (flushing) => void flushes.push(flushing),
    onInvocationEnd: () => void heard.push('invocation ended'),
  })
})

beforeEach(() => {
  transport.clear()
  heard.length = 0
  flushes.length = 0
})

describe('captureTelemetry', () => {
  it('takes the exports of a runtime configured before it started', async () => {
    telemetry.own.tracer.startSpan('recorded before any request').end()
    await control.flush()
    expect(transport.spans.map((s) => s.name)).toEqual(['recorded before any request'])
  })

  it('takes every signal once the runtime is configured again, even from an env with no endpoint', async () => {
    telemetry.reset()
    await app.request('/ok', {}, {}, executionContext().ctx)
    await control.flush()
    expect(transport.spans.map((s) => [s.name, s.resource['service.name']])).toEqual([['GET /ok', 'captured']])
    expect(Object.keys(telemetry.config!.signals).sort()).toEqual(['logs', 'metrics', 'traces'])
  })

  it('hears each invocation end, failed or not, and each flush with its promise', async () => {
    expect((await app.request('/ok', {}, {}, executionContext().ctx)).status).toBe(200)
    const quiet = vi.spyOn(console, 'error').mockImplementation(() => {})
    expect((await app.request('/fails', {}, {}, executionContext().ctx)).status).toBe(500)
    quiet.mockRestore()
    expect(heard).toEqual(['invocation ended', 'invocation ended'])
    const flushing = control.flush()
    expect(flushes).toHaveLength(1)
    await flushing
    expect(transport.spans.map((s) => s.name)).toEqual(['GET /ok', 'GET /fails'])
  })

  it('counts the requests started and not yet ended', async () => {
    const held = app.request('/held', {}, {}, executionContext().ctx)
    while (!release) await new Promise((r) => setTimeout(r, 5))
    expect(control.openRequests()).toBe(1)
    release()
    expect(await (await held).text()).toBe('released')
    expect(control.openRequests()).toBe(0)
  })
})
