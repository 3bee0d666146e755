import { type Attributes, type Counter, context, defaultTextMapGetter, propagation, trace } from '@opentelemetry/api'
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions'
import {
  ATTR_MESSAGING_BATCH_MESSAGE_COUNT,
  ATTR_MESSAGING_DESTINATION_NAME,
  ATTR_MESSAGING_MESSAGE_ID,
  ATTR_MESSAGING_OPERATION_NAME,
  ATTR_MESSAGING_OPERATION_TYPE,
  ATTR_MESSAGING_SYSTEM,
  METRIC_MESSAGING_CLIENT_CONSUMED_MESSAGES,
  METRIC_MESSAGING_CLIENT_SENT_MESSAGES,
} from '@opentelemetry/semantic-conventions/incubating'
import { KIND_CONSUMER, KIND_PRODUCER, STATUS_ERROR } from '../sdk/api-values.ts'
import { REQUEST_ROOT } from '../sdk/context.ts'
import { telemetry } from '../runtime/telemetry.ts'
import { recordFailure } from '../sdk/trace/tracer.ts'
import { instrumentEnv } from './bindings/env.ts'
import { type ExecutionContextLike, type HandlerOptions, configureInvocation, endInvocation, prepareHandler, startInvocation } from './invocation.ts'

const SYSTEM = 'cloudflare_queues'

/**
 * How trace context travels on a queue message: the body is wrapped as
 * `{ "__otel": { "traceparent": "…", "tracestate": "…" }, "body": <your body> }`.
 * `instrumentQueueHandler` unwraps it, so handlers see the original body.
 */
export interface TracedEnvelope<Body = unknown> {
  __otel: Record<string, string>
  body: Body
}

/** Whether a message body (or a workflow's params) is a `TracedEnvelope`. */
export function isEnvelope(value: unknown): value is TracedEnvelope {
  return typeof value === 'object' && value !== null && typeof (value as TracedEnvelope).__otel === 'object' && 'body' in value
}

/** A Cloudflare Queues producer binding, as `instrumentQueue` uses it. */
export interface QueueLike<Body> {
  send(body: Body, options?: unknown): Promise<unknown>
  sendBatch(messages: Iterable<{ body: Body } & Record<string, unknown>>, options?: unknown): Promise<unknown>
}

let instruments: { sent: Counter; consumed: Counter; deadLettered: Counter } | undefined

/** The queue instruments, made once. */
const counters = () => {
  if (instruments) return instruments
  const meter = telemetry.own.meter
  return (instruments = {
    sent: meter.createCounter(METRIC_MESSAGING_CLIENT_SENT_MESSAGES, { unit: '{message}' }),
    consumed: meter.createCounter(METRIC_MESSAGING_CLIENT_CONSUMED_MESSAGES, { unit: '{message}' }),
    deadLettered: meter.createCounter('edge_otel.queue.dead_lettered', { unit: '{message}' }),
  })
}

function wrap<Body>(body: Body, ctx = context.active()): TracedEnvelope<Body> {
  const carrier: Record<string, string> = {}
  propagation.inject(ctx, carrier)
  return { __otel: carrier, body }
}

/**
 * A queue producer binding whose `send` and `sendBatch` record a PRODUCER span and carry the
 * trace context to the consumer inside each message (see `TracedEnvelope`).
 *
 * @example
 * const events = instrumentQueue(c.env.ORDER_EVENTS, 'order-placed')
 * await events.send({ orderId: 7 })
 */
export function instrumentQueue<Body>(queue: QueueLike<Body>, queueName: string): QueueLike<Body> {
  const send = async (count: number, run: (ctx: ReturnType<typeof context.active>) => Promise<unknown>) => {
    const attributes: Attributes = {
      [ATTR_MESSAGING_SYSTEM]: SYSTEM,
      [ATTR_MESSAGING_DESTINATION_NAME]: queueName,
      [ATTR_MESSAGING_OPERATION_TYPE]: 'send',
      [ATTR_MESSAGING_OPERATION_NAME]: 'send',
    }
    if (count > 1) attributes[ATTR_MESSAGING_BATCH_MESSAGE_COUNT] = count
    const span = telemetry.own.tracer.startSpan(`send ${queueName}`, { kind: KIND_PRODUCER, attributes })
    const metric: Attributes = { [ATTR_MESSAGING_SYSTEM]: SYSTEM, [ATTR_MESSAGING_DESTINATION_NAME]: queueName }
    try {
      return await run(trace.setSpan(context.active(), span))
    } catch (error) {
      metric[ATTR_ERROR_TYPE] = recordFailure(span, error)
      throw error
    } finally {
      span.end()
      counters().sent.add(count, metric)
    }
  }
  return {
    send: (body, options) => send(1, (ctx) => queue.send(wrap(body, ctx) as Body, options)),
    sendBatch: (messages, options) => {
      const list = [...messages]
      return send(list.length, (ctx) => queue.sendBatch(list.map((m) => ({ ...m, body: wrap(m.body, ctx) as Body })), options))
    },
  }
}

/** A Cloudflare Queues message, as `instrumentQueueHandler` hands it to `process`. */
export interface QueueMessage<Body> {
  id: string
  body: Body
  attempts: number
  ack(): void
  retry(options?: { delaySeconds?: number }): void
}

export interface QueueHandlerOptions extends HandlerOptions {
  /** The consumer's `max_retries` from wrangler.toml (default 3), to mark the attempt after which a message is dead-lettered. */
  maxRetries?: number
}

/**
 * A traced `queue()` handler: one CONSUMER span per batch, linked to each message's producer, and a
 * child span per message. `process` gets each message with its original body. A message that
 * throws is recorded as an error and retried; on its last attempt it is marked, and counted in
 * `edge_otel.queue.dead_lettered`, since the queue then moves it to its `dead_letter_queue`.
 * With `tailSampling: tailSampling()`, a batch the head sampler drops is kept when a message failed.
 *
 * @example
 * export default { queue: instrumentQueueHandler(async (message, env) => ship(message.body)) }
 */
export function instrumentQueueHandler<Body, Env = Record<string, unknown>, Ctx extends ExecutionContextLike = ExecutionContextLike>(
  process: (message: QueueMessage<Body>, env: Env, ctx: Ctx) => Promise<void> | void,
  options: QueueHandlerOptions = {},
) {
  const maxRetries = options.maxRetries ?? 3
  prepareHandler(options)
  return async function queue(batch: { queue: string; messages: readonly QueueMessage<unknown>[] }, env: Env, ctx: Ctx): Promise<void> {
    configureInvocation(env, options)
    const parents = batch.messages.map((m) =>
      isEnvelope(m.body) ? trace.getSpanContext(telemetry.propagator.extract(REQUEST_ROOT, m.body.__otel, defaultTextMapGetter)) : undefined,
    )
    const common: Attributes = {
      [ATTR_MESSAGING_SYSTEM]: SYSTEM,
      [ATTR_MESSAGING_DESTINATION_NAME]: batch.queue,
      [ATTR_MESSAGING_OPERATION_TYPE]: 'process',
      [ATTR_MESSAGING_OPERATION_NAME]: 'process',
    }
    const invocation = startInvocation({
      trigger: 'pubsub',
      name: `process ${batch.queue}`,
      kind: KIND_CONSUMER,
      attributes: { ...common, [ATTR_MESSAGING_BATCH_MESSAGE_COUNT]: batch.messages.length },
      links: parents.filter((p) => p !== undefined).map((p) => ({ context: p! })),
      parent: REQUEST_ROOT,
    })
    const batchSpan = invocation.span
    const { consumed, deadLettered } = counters()
    const tracedEnv = instrumentEnv(env as object) as Env
    let errorType: string | undefined
    for (const [i, message] of batch.messages.entries()) {
      const parent = parents[i]
      const span = telemetry.own.tracer.startSpan(
        `process ${batch.queue}`,
        { kind: KIND_CONSUMER, links: parent ? [{ context: parent }] : [], attributes: { ...common, [ATTR_MESSAGING_MESSAGE_ID]: message.id } },
        invocation.context,
      )
      const metric: Attributes = { [ATTR_MESSAGING_SYSTEM]: SYSTEM, [ATTR_MESSAGING_DESTINATION_NAME]: batch.queue }
      const unwrapped: QueueMessage<Body> = {
        id: message.id,
        attempts: message.attempts,
        body: (isEnvelope(message.body) ? message.body.body : message.body) as Body,
        ack: () => message.ack(),
        retry: (o) => message.retry(o),
      }
      try {
        await telemetry.contexts.with(trace.setSpan(invocation.context, span), () => process(unwrapped, tracedEnv, ctx))
        message.ack()
      } catch (error) {
        metric[ATTR_ERROR_TYPE] = recordFailure(span, error)
        errorType ??= metric[ATTR_ERROR_TYPE] as string
        if (message.attempts > maxRetries) {
          span.setAttribute('edge_otel.queue.dead_lettered', true)
          deadLettered.add(1, metric)
        }
        message.retry()
      } finally {
        span.end()
        consumed.add(1, metric)
      }
    }
    // A batch with a failed message failed: ERROR, and the first failure's error.type.
    if (errorType) batchSpan.setAttribute(ATTR_ERROR_TYPE, errorType).setStatus({ code: STATUS_ERROR })
    endInvocation(invocation, { errorType, waitUntil: (p) => ctx.waitUntil(p), flushNow: true })
  }
}
