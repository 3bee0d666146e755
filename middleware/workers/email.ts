import type { Attributes } from '@opentelemetry/api'
import { KIND_SERVER } from '../sdk/api-values.ts'
import { REQUEST_ROOT } from '../sdk/context.ts'
import { instrumentEnv } from './bindings/env.ts'
import { type ExecutionContextLike, type HandlerOptions, prepareHandler, traceInvocation } from './invocation.ts'

/** The part of a Workers `ForwardableEmailMessage` the traced handler reads. */
export interface EmailMessageLike {
  readonly from: string
  readonly to: string
  readonly rawSize: number
}

export interface EmailHandlerOptions extends HandlerOptions {
  /** Records the envelope's `from` and `to` (`cloudflare.email.from`/`.to`). Off: addresses are personal data. */
  recordAddresses?: boolean
}

/**
 * A traced `email()` handler: a root span `email` with `faas.trigger=other` and the raw message size
 * (`cloudflare.email.size`, as Cloudflare's Workers tracing names it), never the addresses unless
 * `recordAddresses` is set. The handler gets the message, an env with traced bindings and the ctx.
 *
 * @example
 * export default { email: instrumentEmail(async (message, env) => message.forward('orders@example.com')) }
 */
export function instrumentEmail<
  Message extends EmailMessageLike,
  Env extends object = Record<string, unknown>,
  Ctx extends ExecutionContextLike = ExecutionContextLike,
>(
  handler: (message: Message, env: Env, ctx: Ctx) => Promise<void> | void,
  options: EmailHandlerOptions = {},
) {
  const { recordAddresses, ...handlerOptions } = options
  prepareHandler(handlerOptions)
  return function email(message: Message, env: Env, ctx: Ctx): Promise<void> {
    const attributes: Attributes = { 'cloudflare.email.size': message.rawSize }
    if (recordAddresses) {
      attributes['cloudflare.email.from'] = message.from
      attributes['cloudflare.email.to'] = message.to
    }
    return traceInvocation(
      env,
      handlerOptions,
      { trigger: 'other', name: 'email', kind: KIND_SERVER, attributes, parent: REQUEST_ROOT },
      (p) => ctx.waitUntil(p),
      () => handler(message, instrumentEnv(env), ctx),
    )
  }
}
