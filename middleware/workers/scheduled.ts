import { trace } from '@opentelemetry/api'
import { KIND_SERVER } from '../sdk/api-values.ts'
import { ATTR_FAAS_CRON, ATTR_FAAS_TRIGGER, FAAS_TRIGGER_VALUE_TIMER } from '@opentelemetry/semantic-conventions/incubating'
import type { OtelOptions } from '../runtime/config.ts'
import { REQUEST_ROOT } from '../sdk/context.ts'
import { type JsonEncoding, useJsonEncoding } from '../exporter/export.ts'
import { telemetry } from '../runtime/telemetry.ts'
import { recordFailure } from '../sdk/trace/tracer.ts'

/** The part of a Workers `ScheduledController` that the traced handler reads and passes on. */
export interface Controller {
  cron: string
  scheduledTime: number
}

/**
 * A traced `scheduled()` handler: a span with `faas.trigger=timer` and `faas.cron`, active while
 * the handler runs, exported in the same way as requests, after the handler, in `waitUntil`.
 * With `tailSampling: tailSampling()`, a run the head sampler drops is kept when it failed or was slow.
 *
 * @example
 * export default { fetch: app.fetch, scheduled: instrumentScheduled(async (controller, env) => restock(env)) }
 */
export function instrumentScheduled<Env = Record<string, unknown>>(
  handler: (controller: Controller, env: Env, ctx: ExecutionContext) => Promise<void> | void,
  options: OtelOptions & { encodings?: JsonEncoding[] } = {},
) {
  for (const encoding of options.encodings ?? []) useJsonEncoding(encoding)
  return async function scheduled(controller: Controller, env: Env, ctx: ExecutionContext): Promise<void> {
    telemetry.configure(env as Record<string, unknown>, options)
    const span = telemetry.own.tracer.startSpan(
      `cron ${controller.cron}`,
      { kind: KIND_SERVER, attributes: { [ATTR_FAAS_TRIGGER]: FAAS_TRIGGER_VALUE_TIMER, [ATTR_FAAS_CRON]: controller.cron } },
      REQUEST_ROOT,
    )
    telemetry.tail?.open(span)
    try {
      await telemetry.contextManager.with(trace.setSpan(REQUEST_ROOT, span), () => handler(controller, env, ctx))
    } catch (error) {
      recordFailure(span, error)
      throw error
    } finally {
      span.end()
      telemetry.tail?.close(span)
      ctx.waitUntil(telemetry.flush())
    }
  }
}
