import { trace } from '@opentelemetry/api'
import { beforeEach, describe, expect, it } from 'vitest'
import { DecodingTransport, executionContext } from '../../test/decoding-transport.ts'
import { telemetry } from '../runtime/telemetry.ts'
import { KIND_CONSUMER } from '../sdk/api-values.ts'
import { REQUEST_ROOT } from '../sdk/context.ts'
import { configureInvocation, endInvocation, runInvocation, startInvocation, traceInvocation } from './invocation.ts'

const ENV = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' }
const PUBSUB = 'pubsub' as const
let transport: DecodingTransport

beforeEach(() => {
  telemetry.reset()
  transport = new DecodingTransport()
  configureInvocation(ENV, { transport, instrumentGlobalFetch: false })
})

/** One invocation of a handler that runs `body` inside it. */
async function invoke(body: () => unknown, flushNow = true) {
  const invocation = startInvocation({ trigger: PUBSUB, name: 'process jobs', kind: KIND_CONSUMER, attributes: { 'app.batch': 1 }, parent: REQUEST_ROOT })
  const { ctx, pending } = executionContext()
  let error: unknown
  try {
    await runInvocation(invocation, body)
  } catch (thrown) {
    error = thrown
  }
  const errorType = endInvocation(invocation, { error, waitUntil: (p) => ctx.waitUntil(p), flushNow })
  await Promise.all(pending)
  return errorType
}

describe('one invocation, whatever the handler kind', () => {
  it('runs the handler under its root span, with faas.trigger, and a cold start only the first time', async () => {
    let active: string | undefined
    await invoke(() => (active = trace.getActiveSpan()?.spanContext().spanId))
    await invoke(() => undefined)
    const [first, second] = transport.spans
    expect(first).toMatchObject({ name: 'process jobs', kind: 5, attributes: { 'faas.trigger': 'pubsub', 'faas.coldstart': true, 'app.batch': 1 } })
    expect(first.spanId).toBe(active)
    expect(second.attributes).not.toHaveProperty('faas.coldstart')
    expect(transport.points('faas.invocations').reduce((n, p) => n + p.value!, 0)).toBe(2)
    expect(transport.points('faas.coldstarts')).toEqual([expect.objectContaining({ value: 1, attributes: { 'faas.trigger': 'pubsub' } })])
  })

  it('records what the handler threw and counts it in faas.errors', async () => {
    expect(await invoke(() => Promise.reject(new RangeError('no such job')))).toBe('RangeError')
    const [span] = transport.spans
    expect(span.status).toMatchObject({ code: 2, message: 'no such job' })
    expect(span.attributes['error.type']).toBe('RangeError')
    expect(span.events[0]).toMatchObject({ name: 'exception', attributes: { 'exception.type': 'RangeError' } })
    expect(transport.points('faas.errors')).toEqual([expect.objectContaining({ value: 1, attributes: { 'faas.trigger': 'pubsub' } })])
  })

  it('exports with the invocations that end in the next batchDelay, in the first one\'s waitUntil', async () => {
    const invocations = [0, 1, 2].map(() => startInvocation({ trigger: PUBSUB, name: 'job', kind: KIND_CONSUMER, attributes: {}, parent: REQUEST_ROOT }))
    const waited: Promise<unknown>[] = []
    for (const invocation of invocations) endInvocation(invocation, { waitUntil: (p) => void waited.push(p) })
    expect(waited).toHaveLength(1)
    await Promise.all(waited)
    expect(transport.spans).toHaveLength(3)
  })
})

describe('traceInvocation, the whole lifecycle for a handler that returns or throws', () => {
  const start = () => ({ trigger: PUBSUB, name: 'job', kind: KIND_CONSUMER, attributes: {}, parent: REQUEST_ROOT })
  const options = { instrumentGlobalFetch: false }

  it('returns what the handler returned, with the settled error.type on the span', async () => {
    const waited: Promise<unknown>[] = []
    const result = await traceInvocation(ENV, { ...options, transport }, start(), (p) => void waited.push(p), () => 503, (span, status) => {
      span.setAttribute('app.status', status)
      return String(status)
    })
    expect(result).toBe(503)
    await Promise.all(waited)
    expect(transport.spans[0].attributes).toMatchObject({ 'app.status': 503 })
    expect(transport.points('faas.errors')).toEqual([expect.objectContaining({ value: 1 })])
  })

  it('rethrows what the handler threw, after recording it', async () => {
    const waited: Promise<unknown>[] = []
    const thrown = new TypeError('bad job')
    await expect(traceInvocation(ENV, { ...options, transport }, start(), (p) => void waited.push(p), () => Promise.reject(thrown))).rejects.toBe(thrown)
    await Promise.all(waited)
    expect(transport.spans[0]).toMatchObject({ status: { code: 2 }, attributes: expect.objectContaining({ 'error.type': 'TypeError' }) })
  })
})
