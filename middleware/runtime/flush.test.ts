import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ExportError, type Transport, encodeTraces } from '../exporter/export.ts'
import { EdgeTracerProvider, type FinishedSpan } from '../sdk/trace/tracer.ts'
import { type Receiver, startReceiver } from '../testing/receiver.ts'
import { flushTelemetry, insideLambdaHandler, instrumentLambda, trackSends } from './flush.ts'
import { telemetry } from './telemetry.ts'

let receiver: Receiver
let warn: ReturnType<typeof vi.spyOn>

/** Configures the isolate to export to `receiver` through a tracked transport, as otelAnywhere() does. */
function configureTracked(): void {
  telemetry.configure({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }, { serviceName: 'jobs', batchDelay: 60_000 })
  telemetry.adapt((_resource, _config, transport) => ({ transport: transport && trackSends(transport) }))
}

const tracer = () => telemetry.tracerProvider.getTracer('flush.test')
const spanNames = () => receiver.spans.map((s) => s.name)

/** A finished span outside the isolate's buffer, to send on its own. */
function finished(name: string): FinishedSpan {
  const spans: FinishedSpan[] = []
  new EdgeTracerProvider((s) => spans.push(s)).getTracer('flush.test').startSpan(name).end()
  return spans[0]
}

beforeEach(() => {
  telemetry.reset()
  warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
})
afterEach(async () => {
  telemetry.reset()
  warn.mockRestore()
  await receiver?.close()
})

describe('flushTelemetry', () => {
  it('exports what is buffered before it resolves', async () => {
    receiver = await startReceiver()
    configureTracked()
    tracer().startSpan('nightly report').end()
    expect(spanNames()).toEqual([])
    await flushTelemetry()
    expect(spanNames()).toEqual(['nightly report'])
  })

  it('waits for a tracked send already under way, which it did not start', async () => {
    let answered = 0
    receiver = await startReceiver({
      respond: async () => {
        if (answered++ === 0) await new Promise((r) => setTimeout(r, 300))
        return 200
      },
    })
    configureTracked()
    const underWay = telemetry.transport!.send(encodeTraces('http/protobuf', telemetry.resource, [finished('sent before')]))
    await flushTelemetry()
    expect(spanNames()).toContain('sent before')
    await underWay
  })

  it('resolves when a tracked send under way fails', async () => {
    let sends = 0
    const failing: Transport = {
      send: () => {
        sends++
        return Promise.reject(new ExportError('unavailable', 503, undefined, true))
      },
    }
    const sent = trackSends(failing).send(encodeTraces('http/protobuf', {}, [finished('lost')]))
    await expect(flushTelemetry()).resolves.toBeUndefined()
    await expect(sent).rejects.toThrow('unavailable')
    expect(sends).toBe(1)
  })

  it('resolves, and sends nothing, before the isolate is configured', async () => {
    receiver = await startReceiver()
    await expect(flushTelemetry()).resolves.toBeUndefined()
    expect(receiver.requests).toEqual([])
  })
})

describe('trackSends', () => {
  it('hands back the send result and rejection of the transport it wraps, unchanged', async () => {
    const result = { rejected: 1, message: 'too old' }
    const error = new ExportError('bad request', 400, undefined, false)
    const payload = encodeTraces('http/protobuf', {}, [finished('one')])
    const seen: unknown[] = []
    const tracked = trackSends({ send: async (p) => (seen.push(p), result) })
    await expect(tracked.send(payload)).resolves.toBe(result)
    expect(seen).toEqual([payload])
    await expect(trackSends({ send: () => Promise.reject(error) }).send(payload)).rejects.toBe(error)
  })
})

describe('instrumentLambda', () => {
  it('has every span the handler ended at the receiver when the invocation returns', async () => {
    receiver = await startReceiver()
    configureTracked()
    const handler = instrumentLambda(async (event: { id: string }) => {
      tracer().startSpan(`order ${event.id}`).end()
      return { statusCode: 200, inside: insideLambdaHandler() }
    })
    expect(insideLambdaHandler()).toBe(false)
    await expect(handler({ id: '42' })).resolves.toEqual({ statusCode: 200, inside: true })
    expect(spanNames()).toEqual(['order 42'])
    expect(insideLambdaHandler()).toBe(false)
  })

  it('flushes when the handler throws, and rethrows its error unchanged', async () => {
    receiver = await startReceiver()
    configureTracked()
    const failure = new TypeError('no such order')
    const handler = instrumentLambda(async () => {
      tracer().startSpan('lookup').end()
      throw failure
    })
    await expect(handler()).rejects.toBe(failure)
    expect(spanNames()).toEqual(['lookup'])
    expect(insideLambdaHandler()).toBe(false)
  })

  it('stays inside a handler until the last of overlapping invocations returns', async () => {
    let release!: () => void
    const held = new Promise<void>((r) => (release = r))
    const slow = instrumentLambda(() => held)
    const quick = instrumentLambda(async () => insideLambdaHandler())
    const slowDone = slow()
    expect(await quick()).toBe(true)
    expect(insideLambdaHandler()).toBe(true)
    release()
    await slowDone
    expect(insideLambdaHandler()).toBe(false)
  })
})
