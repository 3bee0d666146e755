// The example functions as isolates of the real stack: each Miniflare instance is one workerd
// process, so one isolate per function, with its own service.instance.id.
import { randomBytes } from 'node:crypto'
import { type RunningFunctions, type WorkerSpec, exampleFunctions, startFunctions } from '../functions.ts'

/**
 * Starts `count` Miniflare instances of `specs` (the example functions by default) exporting to
 * `otlpUrl`, every resource tagged with service.namespace=`namespace`: the Collector's Prometheus
 * exporter then names their jobs `namespace/service.name`, which keeps each scenario apart.
 */
export async function startIsolates(
  count: number,
  namespace: string,
  otlpUrl: string,
  vars: Record<string, string> = {},
  specs: () => WorkerSpec[] = exampleFunctions,
): Promise<RunningFunctions[]> {
  const started = await Promise.allSettled(
    Array.from({ length: count }, () =>
      startFunctions(
        specs().map((spec) => ({
          ...spec,
          vars: { ...spec.vars, OTEL_RESOURCE_ATTRIBUTES: `${spec.vars.OTEL_RESOURCE_ATTRIBUTES},service.namespace=${namespace}` },
        })),
        { OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl, ...vars },
      ),
    ),
  )
  const failed = started.find((s) => s.status === 'rejected')
  const running = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []))
  if (failed) {
    await Promise.all(running.map((f) => f.dispose()))
    throw (failed as PromiseRejectedResult).reason
  }
  return running
}

/** A request the test sends, with the trace it starts (a W3C traceparent with a known trace id). */
export interface SentRequest {
  path: string
  init?: RequestInit
  traceId: string
  parentSpanId: string
  status?: number
}

export function request(path: string, init: RequestInit = {}): SentRequest {
  return { path, init, traceId: randomBytes(16).toString('hex'), parentSpanId: randomBytes(8).toString('hex') }
}

/** Sends every request, spread round-robin over the isolates, `concurrency` at a time; records each status. */
export async function drive(isolates: RunningFunctions[], requests: SentRequest[], concurrency = 4): Promise<SentRequest[]> {
  let next = 0
  const worker = async () => {
    while (next < requests.length) {
      const index = next++
      const r = requests[index]
      const headers = new Headers(r.init?.headers)
      headers.set('traceparent', `00-${r.traceId}-${r.parentSpanId}-01`)
      const response = await isolates[index % isolates.length].fetch(r.path, { ...r.init, headers })
      await response.arrayBuffer()
      r.status = response.status
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return requests
}

/** A POST whose JSON body arrives in two parts, `delayMs` apart: a slow client. */
export function slowPost(path: string, json: string, delayMs: number): SentRequest {
  const encoder = new TextEncoder()
  const body = new ReadableStream<Uint8Array>({
    async start(controller) {
      controller.enqueue(encoder.encode(json.slice(0, 4)))
      await new Promise((r) => setTimeout(r, delayMs))
      controller.enqueue(encoder.encode(json.slice(4)))
      controller.close()
    },
  })
  return request(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body, duplex: 'half' } as RequestInit)
}

/** Polls `check` every 500 ms until it returns true or `timeoutMs` passes; returns its last answer. */
export async function eventually(check: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (await check()) return true
    if (Date.now() > deadline) return false
    await new Promise((r) => setTimeout(r, 500))
  }
}
