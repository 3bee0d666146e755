import { ATTR_FAAS_CRON } from '@opentelemetry/semantic-conventions/incubating'
import { KIND_SERVER } from '../sdk/api-values.ts'
import { REQUEST_ROOT } from '../sdk/context.ts'
import { instrumentEnv } from './bindings/env.ts'
import { type ExecutionContextLike, type HandlerOptions, configureInvocation, endInvocation, prepareHandler, runInvocation, startInvocation } from './invocation.ts'

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
export function instrumentScheduled<Env = Record<string, unknown>, Ctx extends ExecutionContextLike = ExecutionContextLike>(
  handler: (controller: Controller, env: Env, ctx: Ctx) => Promise<void> | void,
  options: HandlerOptions = {},
) {
  prepareHandler(options)
  return async function scheduled(controller: Controller, env: Env, ctx: Ctx): Promise<void> {
    configureInvocation(env, options)
    const invocation = startInvocation({
      trigger: 'timer',
      name: `cron ${controller.cron}`,
      kind: KIND_SERVER,
      attributes: { [ATTR_FAAS_CRON]: controller.cron },
      parent: REQUEST_ROOT,
    })
    let error: unknown
    try {
      await runInvocation(invocation, () => handler(controller, instrumentEnv(env as object) as Env, ctx))
    } catch (thrown) {
      error = thrown
      throw thrown
    } finally {
      endInvocation(invocation, { error, waitUntil: (p) => ctx.waitUntil(p), flushNow: true })
    }
  }
}
