// The same example app (examples/app.ts, with otelAnywhere) on real Deno, Bun and Node, each started as
// `npm run example:<runtime>` starts it, exporting to a real OTLP receiver on loopback.
import { randomBytes } from 'node:crypto'
import { ATTR_HTTP_ROUTE, ATTR_SERVER_PORT, METRIC_HTTP_CLIENT_REQUEST_DURATION, METRIC_HTTP_SERVER_REQUEST_DURATION } from '@opentelemetry/semantic-conventions'
import { ATTR_PROCESS_RUNTIME_NAME, ATTR_PROCESS_RUNTIME_VERSION } from '@opentelemetry/semantic-conventions/incubating'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import type { ReceivedSpan } from '../middleware/testing/decode.ts'
import { type Receiver, type ReceiverAnswer, startReceiver } from '../middleware/testing/receiver.ts'
import { type Downstream, PLATFORM_STYLES, RUNTIMES, type RunningExample, startDownstream, startExample } from './runtime-process.ts'

const SERVER = 2
const CLIENT = 3
const RUNTIME_NAMES = { deno: 'deno', bun: 'bun', node: 'nodejs' }

const hex = (bytes: number) => randomBytes(bytes).toString('hex')

/** A receiver whose answers the test can hold back, counting the exports it holds. */
async function holdingReceiver() {
  let release: () => void = () => {}
  let gate: Promise<void> = Promise.resolve()
  const state = { held: 0 }
  const receiver = await startReceiver({
    respond: async () => {
      state.held++
      await gate
      state.held--
      return 200
    },
  })
  return {
    receiver,
    state,
    hold() {
      gate = new Promise((r) => (release = r))
    },
    release: () => release(),
  }
}

const serverSpan = (spans: ReceivedSpan[], traceId: string) => spans.find((s) => s.traceId === traceId && s.kind === SERVER)

/** Sums the `count` of a histogram's points over every export, for the points `match` picks. */
function histogramCount(receiver: Receiver, name: string, match: (attributes: Record<string, unknown>) => boolean): number {
  return receiver.metrics
    .filter((m) => m.name === name)
    .flatMap((m) => m.points)
    .filter((p) => match(p.attributes))
    .reduce((sum, p) => sum + (p.count ?? 0), 0)
}

for (const runtime of RUNTIMES) {
  describe(`the example on ${runtime} (npm run example:${runtime})`, () => {
    let receiving: Awaited<ReturnType<typeof holdingReceiver>>
    let receiver: Receiver
    let downstream: Downstream
    let example: RunningExample
    /** Requests sent per route, which the metrics must add up to. */
    const sent: Record<string, number> = { '/hello/:name': 0, '/chain': 0 }

    beforeAll(async () => {
      receiving = await holdingReceiver()
      receiver = receiving.receiver
      downstream = await startDownstream()
      example = await startExample(runtime, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, DOWNSTREAM_URL: downstream.url })
    })

    afterAll(async () => {
      receiving?.release()
      await example?.stop()
      await downstream?.close()
      await receiver?.close()
    })

    it('continues an incoming traceparent, and names the runtime in the resource', async () => {
      const traceId = hex(16)
      const parentId = hex(8)
      const response = await fetch(`${example.url}/hello/world`, { headers: { traceparent: `00-${traceId}-${parentId}-01` } })
      sent['/hello/:name']++
      expect(await response.text()).toBe('Hello world')
      await receiver.waitFor(() => !!serverSpan(receiver.spans, traceId), 15_000, 'the SERVER span')
      const span = serverSpan(receiver.spans, traceId)!
      expect(span.parentSpanId).toBe(parentId)
      expect(span.name).toBe('GET /hello/:name')
      expect(span.resource[ATTR_PROCESS_RUNTIME_NAME]).toBe(RUNTIME_NAMES[runtime])
      expect(span.resource[ATTR_PROCESS_RUNTIME_VERSION]).toMatch(/^\d+\.\d+/)
      expect(span.resource['cloud.provider']).toBeUndefined()
    })

    it('carries the context of a traced outbound fetch to a second local server', async () => {
      const traceId = hex(16)
      const response = await fetch(`${example.url}/chain`, { headers: { traceparent: `00-${traceId}-${hex(8)}-01` } })
      sent['/chain']++
      expect(await response.json()).toEqual({ downstream: 200, text: 'Hello downstream' })
      await receiver.waitFor(() => receiver.spans.filter((s) => s.traceId === traceId).length === 2, 15_000, 'SERVER and CLIENT spans')
      const client = receiver.spans.find((s) => s.traceId === traceId && s.kind === CLIENT)!
      expect(client.parentSpanId).toBe(serverSpan(receiver.spans, traceId)!.spanId)
      const call = downstream.calls.find((h) => String(h.traceparent).includes(traceId))
      expect(call?.traceparent).toBe(`00-${traceId}-${client.spanId}-01`)
    })

    it('gives 100 concurrent requests 100 whole, unmixed traces, and metrics that add up exactly', async () => {
      const parents = Array.from({ length: 100 }, () => ({ traceId: hex(16), parentId: hex(8) }))
      const responses = await Promise.all(
        parents.map(({ traceId, parentId }) => fetch(`${example.url}/chain`, { headers: { traceparent: `00-${traceId}-${parentId}-01` } }).then((r) => r.json() as Promise<{ downstream: number }>)),
      )
      sent['/chain'] += 100
      expect(responses.every((r) => r.downstream === 200)).toBe(true)
      const ids = new Set(parents.map((p) => p.traceId))
      await receiver.waitFor(() => receiver.spans.filter((s) => ids.has(s.traceId)).length >= 200, 30_000, '200 spans')
      await receiver.idle()
      for (const { traceId, parentId } of parents) {
        const trace = receiver.spans.filter((s) => s.traceId === traceId)
        expect(trace.map((s) => s.kind).sort()).toEqual([SERVER, CLIENT])
        const server = trace.find((s) => s.kind === SERVER)!
        const client = trace.find((s) => s.kind === CLIENT)!
        expect(server.parentSpanId).toBe(parentId)
        expect(client.parentSpanId).toBe(server.spanId)
        const calls = downstream.calls.filter((h) => String(h.traceparent).includes(traceId))
        expect(calls.map((h) => h.traceparent)).toEqual([`00-${traceId}-${client.spanId}-01`])
      }
      for (const [route, count] of Object.entries(sent)) {
        expect(histogramCount(receiver, METRIC_HTTP_SERVER_REQUEST_DURATION, (a) => a[ATTR_HTTP_ROUTE] === route), route).toBe(count)
      }
      expect(histogramCount(receiver, METRIC_HTTP_CLIENT_REQUEST_DURATION, (a) => a[ATTR_SERVER_PORT] === downstream.port)).toBe(sent['/chain'])
    })

    it('answers without waiting for the export: a response arrives while the receiver holds an export unanswered', async () => {
      receiving.hold()
      try {
        const first = hex(16)
        expect((await fetch(`${example.url}/hello/first`, { headers: { traceparent: `00-${first}-${hex(8)}-01` } })).status).toBe(200)
        sent['/hello/:name']++
        // The first request's export reaches the receiver, which does not answer it.
        await receiver.waitFor(() => receiving.state.held > 0, 15_000, 'an export to hold')
        const second = await fetch(`${example.url}/hello/second`)
        sent['/hello/:name']++
        expect(await second.text()).toBe('Hello second')
        expect(receiving.state.held).toBeGreaterThan(0)
        expect(serverSpan(receiver.spans, first)).toBeUndefined()
      } finally {
        receiving.release()
      }
      await receiver.waitFor(() => receiver.spans.some((s) => s.attributes['url.path'] === '/hello/second'), 15_000, 'the second span')
    })
  })

  // EDGE_OTEL_GZIP_WORKER=true gzips on a Web Worker (Deno, Bun); Node has none and says so once.
  for (const gzipWorker of [false, true]) {
    const setting: Record<string, string> = gzipWorker ? { EDGE_OTEL_GZIP_WORKER: 'true' } : {}
    const where = gzipWorker ? ', EDGE_OTEL_GZIP_WORKER=true' : ''
    const offThread = runtime !== 'node'

    describe(`${runtime}${where}, stopped by SIGTERM right after its last request`, () => {
      it('still delivers that request’s spans, then exits as the signal asks', async () => {
        const receiver = await startReceiver()
        // A minute's batch delay: only the flush on shutdown can deliver the span.
        const example = await startExample(runtime, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '60000', ...setting })
        try {
          const traceId = hex(16)
          const response = await fetch(`${example.url}/hello/last`, { headers: { traceparent: `00-${traceId}-${hex(8)}-01` } })
          expect(await response.text()).toBe('Hello last')
          example.process.kill('SIGTERM')
          const ended = await example.exited
          expect(ended.signal ?? ended.code, example.output()).toBe(ended.signal ? 'SIGTERM' : 143)
          expect(serverSpan(receiver.spans, traceId)?.name).toBe('GET /hello/:name')
          expect(histogramCount(receiver, METRIC_HTTP_SERVER_REQUEST_DURATION, () => true)).toBe(1)
          expect(receiver.requests.every((r) => r.headers['content-encoding'] === 'gzip')).toBe(true)
          if (gzipWorker) {
            // Deno and Bun gzip on the worker: any fallback (no Worker, a worker that failed) would say so.
            const fallback = offThread ? 'export compression runs on the serving thread' : 'export compression runs on the serving thread: this runtime has no Web Worker.'
            expect(example.output().includes(fallback), example.output()).toBe(!offThread)
          }
        } finally {
          await example.stop()
          await receiver.close()
        }
      })
    })
  }

  describe(`${runtime}, EDGE_OTEL_GZIP_WORKER=true, against a receiver that first answers 503 then takes part of a batch`, () => {
    it('retries the same compressed body, and counts what the receiver rejected in its own metrics', async () => {
      let tracePosts = 0
      const receiver = await startReceiver({
        respond: (request): number | ReceiverAnswer => {
          if (request.signal !== 'traces') return 200
          tracePosts++
          if (tracePosts === 1) return { status: 503, headers: { 'retry-after': '0' } }
          // ExportTraceServiceResponse { partial_success { rejected_spans: 1, error_message: "one" } }
          return { status: 200, headers: { 'content-type': 'application/x-protobuf' }, body: Uint8Array.from([0x0a, 0x07, 0x08, 0x01, 0x12, 0x03, 0x6f, 0x6e, 0x65]) }
        },
      })
      const example = await startExample(runtime, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, EDGE_OTEL_GZIP_WORKER: 'true' })
      try {
        const traceId = hex(16)
        await (await fetch(`${example.url}/hello/retry`, { headers: { traceparent: `00-${traceId}-${hex(8)}-01` } })).text()
        await receiver.waitFor(() => serverSpan(receiver.spans, traceId) !== undefined, 15_000, 'the span, after one 503')
        expect(tracePosts).toBe(2)
        // The next request's export carries the exporter's count of the rejected span.
        await (await fetch(`${example.url}/hello/again`)).text()
        const rejected = () =>
          receiver.metrics.filter((m) => m.name === 'otel.sdk.exporter.span.exported').flatMap((m) => m.points).some((p) => p.attributes['error.type'] === 'rejected')
        await receiver.waitFor(rejected, 15_000, 'the exporter counting the rejected span')
        expect(example.output()).toContain('the collector rejected 1 of')
        expect(receiver.requests.every((r) => r.headers['content-encoding'] === 'gzip')).toBe(true)
      } finally {
        await example.stop()
        await receiver.close()
      }
    })
  })
}

const WAIT_UNTIL_LOG = { 'netlify-style': 'context.waitUntil', 'supabase-style': 'EdgeRuntime.waitUntil' }

for (const style of PLATFORM_STYLES) {
  describe(`the Deno example run ${style} (npm run example:${style})`, () => {
    it('hands its export to the platform’s waitUntil, and the trace arrives whole', async () => {
      const receiver = await startReceiver()
      const downstream = await startDownstream()
      const example = await startExample(style, { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, DOWNSTREAM_URL: downstream.url })
      try {
        const traceId = hex(16)
        const response = await fetch(`${example.url}/chain`, { headers: { traceparent: `00-${traceId}-${hex(8)}-01` } })
        expect(await response.json()).toEqual({ downstream: 200, text: 'Hello downstream' })
        await receiver.waitFor(() => receiver.spans.filter((s) => s.traceId === traceId).length === 2, 15_000, 'SERVER and CLIENT spans')
        expect(example.output()).toContain(`${WAIT_UNTIL_LOG[style]} 1`)
        const server = serverSpan(receiver.spans, traceId)!
        expect(server.resource[ATTR_PROCESS_RUNTIME_NAME]).toBe('deno')
        const client = receiver.spans.find((s) => s.traceId === traceId && s.kind === CLIENT)!
        expect(downstream.calls.map((h) => h.traceparent)).toEqual([`00-${traceId}-${client.spanId}-01`])
      } finally {
        await example.stop()
        await downstream.close()
        await receiver.close()
      }
    })
  })
}
