import { ATTR_OTEL_COMPONENT_NAME } from '@opentelemetry/semantic-conventions/incubating'
import type { OtelOptions } from '../runtime/config.ts'
import { isSpilledPayload, toPayload } from '../exporter/spill.ts'
import { telemetry } from '../runtime/telemetry.ts'
import { warnOnce } from '../runtime/warnings.ts'
import { LIBRARY_NAME } from '../sdk/version.ts'
import type { ExecutionContextLike } from './invocation.ts'

/** The part of a Cloudflare Queues message batch that replaying needs. */
export interface ReplayBatch {
  messages: ReadonlyArray<{ body: unknown; attempts: number; ack(): void; retry(options?: { delaySeconds?: number }): void }>
}

/**
 * A queue handler that sends spilled telemetry batches to the collector again. A batch the collector
 * still cannot take is retried by the queue (with growing delays) and, after the consumer's
 * `max_retries`, lands in its `dead_letter_queue`. Uses the worker's own OTEL_* settings.
 *
 * @example
 * export default { fetch: app.fetch, queue: replayTelemetry() }
 * // wrangler.toml: [[queues.consumers]] queue = "otel-spill", max_retries = 10, dead_letter_queue = "otel-spill-dlq"
 */
export function replayTelemetry(options: OtelOptions = {}) {
  return async function replay(batch: ReplayBatch, env: Record<string, unknown>, ctx?: ExecutionContextLike): Promise<void> {
    telemetry.configure(env, options)
    const transport = telemetry.transport
    for (const message of batch.messages) {
      if (!isSpilledPayload(message.body)) {
        warnOnce('the spill queue held a message that is not a spilled telemetry batch; it was acknowledged and dropped.', 'replay:foreign')
        message.ack()
        continue
      }
      const payload = toPayload(message.body)
      if (!transport) {
        message.retry({ delaySeconds: 60 })
        continue
      }
      try {
        await transport.send(payload)
        message.ack()
        const attributes = { [ATTR_OTEL_COMPONENT_NAME]: `${LIBRARY_NAME}/${payload.signal}` }
        telemetry.own.replayed.add(payload.items, attributes)
      } catch (error) {
        warnOnce(`replaying spilled ${payload.signal} failed (${String(error)}); the queue will retry it.`, `replay:${payload.signal}`)
        message.retry({ delaySeconds: Math.min(300, 2 ** Math.min(message.attempts, 8)) })
      }
    }
    const flushing = telemetry.flush()
    if (ctx) ctx.waitUntil(flushing)
    else await flushing
  }
}
