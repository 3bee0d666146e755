// For the binding tables' unit tests in Node (middleware/workers/bindings/*.test.ts): the runtime
// configured with a transport that sends nothing, and calls of an instrumented binding made inside a
// request's SERVER span, with the spans they ended.
import { SpanKind, context, trace } from '@opentelemetry/api'
import { Miniflare, convertV4MiniflareOptions } from 'miniflare'
import { telemetry } from '../middleware/runtime/telemetry.ts'
import type { FinishedSpan } from '../middleware/sdk/trace/tracer.ts'
import { type BindingKind, bindingBase, instrumentBinding } from '../middleware/workers/bindings/client.ts'

/** Configures the isolate afresh, recording binding keys only when asked. */
export function configureTelemetry(recordBindingKeys?: boolean): void {
  telemetry.reset()
  telemetry.configure({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' }, { recordBindingKeys }, { send: async () => {} })
}

/**
 * Runs `fn` on `binding` (bound as `name`, traced with `kind`) inside a SERVER span; hands back its
 * result, or the error it threw, and the spans other than the SERVER span that ended meanwhile.
 */
export async function callInRequest<B extends object, T>(
  binding: B,
  kind: BindingKind,
  name: string,
  fn: (traced: B) => Promise<T>,
): Promise<{ result: T | Error; spans: FinishedSpan[] }> {
  const traced = instrumentBinding(binding, kind, bindingBase(name))
  const server = telemetry.own.tracer.startSpan('GET /', { kind: SpanKind.SERVER })
  const before = telemetry.spans.length
  let result: T | Error
  try {
    result = await context.with(trace.setSpan(context.active(), server), () => fn(traced))
  } catch (error) {
    result = error as Error
  }
  server.end()
  return { result, spans: telemetry.spans.slice(before).filter((s) => s !== (server as unknown)) }
}

/**
 * A Miniflare whose worker does nothing, with the bindings given (`{ kvNamespaces: ['CACHE'] }`,
 * `{ r2Buckets: ['RECEIPTS'] }`): their real implementations, to call from Node.
 */
export function bindingsOnly(bindings: Record<string, unknown>): Miniflare {
  return new Miniflare(
    convertV4MiniflareOptions({
      host: '127.0.0.1',
      modules: true,
      script: 'export default { fetch: () => new Response(null) }',
      compatibilityDate: '2026-08-01',
      ...bindings,
    } as never),
  )
}
