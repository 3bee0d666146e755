import { type Attributes, context, defaultTextMapGetter, propagation, trace } from '@opentelemetry/api'
import { KIND_INTERNAL, KIND_PRODUCER, KIND_SERVER } from '../sdk/api-values.ts'
import { REQUEST_ROOT } from '../sdk/context.ts'
import { telemetry } from '../runtime/telemetry.ts'
import { recordFailure } from '../sdk/trace/tracer.ts'
import { instrumentEnv } from './bindings/env.ts'
import { ownMember } from './own-member.ts'
import { type HandlerOptions, prepareHandler, traceInvocation } from './invocation.ts'
import { type TracedEnvelope, isEnvelope } from './queue.ts'

const ATTR_WORKFLOW = 'cloudflare.workflow.name'
const ATTR_INSTANCE = 'cloudflare.workflow.instance.id'
const ATTR_STEP = 'cloudflare.workflow.step.name'

/** The part of a Workflow binding `instrumentWorkflowBinding` wraps. */
export interface WorkflowLike {
  create(options?: { id?: string; params?: unknown }): Promise<unknown>
  createBatch?(batch: { id?: string; params?: unknown }[]): Promise<unknown>
  get(id: string): Promise<unknown>
}

/** Runs `run` in a span that is active meanwhile and ends with its outcome, which reaches the caller unchanged. */
async function inSpan<T>(name: string, kind: typeof KIND_INTERNAL | typeof KIND_PRODUCER, attributes: Attributes, run: () => T | Promise<T>): Promise<T> {
  const span = telemetry.own.tracer.startSpan(name, { kind, attributes })
  try {
    return await telemetry.contexts.with(trace.setSpan(context.active(), span), run)
  } catch (error) {
    recordFailure(span, error)
    throw error
  } finally {
    span.end()
  }
}

/**
 * A Workflow binding whose `create` and `createBatch` record a PRODUCER span and carry the trace
 * context to the instance inside its params, as `{ "__otel": {…}, "body": <your params> }` (the
 * queue's `TracedEnvelope`). Only for a workflow class wrapped by `instrumentWorkflow`, which unwraps
 * the params before `run` sees them.
 *
 * @example
 * await instrumentWorkflowBinding(env.ORDER_WORKFLOW, 'order-workflow').create({ params: { orderId } })
 */
export function instrumentWorkflowBinding<W extends WorkflowLike>(workflow: W, workflowName: string): W {
  const wrap = (options: { id?: string; params?: unknown } = {}) => {
    const carrier: Record<string, string> = {}
    propagation.inject(context.active(), carrier)
    return { ...options, params: { __otel: carrier, body: options.params } satisfies TracedEnvelope }
  }
  const attributes = { [ATTR_WORKFLOW]: workflowName }
  return new Proxy(workflow, {
    get(target, key) {
      if (key === 'create') return (options?: { id?: string; params?: unknown }) => inSpan(`create ${workflowName}`, KIND_PRODUCER, attributes, () => target.create(wrap(options)))
      if (key === 'createBatch') {
        return (batch: { id?: string; params?: unknown }[]) =>
          inSpan(`create ${workflowName}`, KIND_PRODUCER, { ...attributes, 'messaging.batch.message_count': batch.length }, () => target.createBatch!(batch.map(wrap)))
      }
      return ownMember(target, key)
    },
  })
}

/** The part of a `WorkflowStep` the traced `run` wraps. */
interface WorkflowStepLike {
  do(name: string, ...rest: unknown[]): Promise<unknown>
  sleep(name: string, duration: unknown): Promise<void>
  sleepUntil?(name: string, timestamp: unknown): Promise<void>
  waitForEvent?(name: string, options: unknown): Promise<unknown>
}

const STEPS = new Set(['do', 'sleep', 'sleepUntil', 'waitForEvent'])

function traceStep(step: WorkflowStepLike, workflowName: string): WorkflowStepLike {
  return new Proxy(step, {
    get(target, key) {
      const value = ownMember(target, key)
      if (typeof value !== 'function' || typeof key !== 'string' || !STEPS.has(key)) return value
      return (name: string, ...rest: unknown[]) =>
        inSpan(`step.${key} ${name}`, KIND_INTERNAL, { [ATTR_WORKFLOW]: workflowName, [ATTR_STEP]: name }, () => {
          // The engine may call a step's callback back over RPC, outside this context: bind it to the step's span.
          const active = context.active()
          return Reflect.apply(value, target, [name, ...rest.map((arg) => (typeof arg === 'function' ? telemetry.contexts.bind(active, arg) : arg))])
        })
    },
  })
}

// biome-ignore lint: the user's constructor arguments
/** A class `instrumentWorkflow` can wrap: a `WorkflowEntrypoint`. */
export type InstrumentableWorkflow = new (...args: any[]) => { run(event: any, step: any): Promise<unknown> }

/**
 * A `WorkflowEntrypoint` class whose every `run` is one invocation: a SERVER span `run Class`
 * (`faas.trigger=other`) in the trace of the request that created the instance through
 * `instrumentWorkflowBinding`, and a span per `step.do`, `step.sleep`, `step.sleepUntil` and
 * `step.waitForEvent` under it. `run` gets the params as they were given to `create`. A run the
 * engine replays after a sleep or a restart is traced again, in the same trace.
 *
 * @example
 * export const OrderWorkflow = instrumentWorkflow(class extends WorkflowEntrypoint { async run(event, step) { … } })
 */
export function instrumentWorkflow<C extends InstrumentableWorkflow>(Base: C, options: HandlerOptions = {}): C {
  prepareHandler(options)
  const name = Base.name || 'Workflow'
  const served = new WeakMap<object, { env: unknown; waitUntil(promise: Promise<unknown>): void }>()
  const run = Base.prototype.run
  const Traced = class extends Base {
    // biome-ignore lint: the user's constructor arguments
    constructor(...args: any[]) {
      const [ctx, env] = args as [{ waitUntil(promise: Promise<unknown>): void }, unknown]
      super(ctx, instrumentEnv(env as object))
      served.set(this, { env, waitUntil: (p) => ctx.waitUntil(p) })
    }

    override run(event: { payload?: unknown; instanceId?: string }, step: WorkflowStepLike) {
      const { env, waitUntil } = served.get(this)!
      const payload = event?.payload
      const parent = isEnvelope(payload) ? telemetry.propagator.extract(REQUEST_ROOT, payload.__otel, defaultTextMapGetter) : REQUEST_ROOT
      const attributes: Attributes = { [ATTR_WORKFLOW]: name }
      if (event?.instanceId) attributes[ATTR_INSTANCE] = event.instanceId
      const unwrapped = isEnvelope(payload) ? { ...event, payload: payload.body } : event
      return traceInvocation(env, options, { trigger: 'other', name: `run ${name}`, kind: KIND_SERVER, attributes, parent }, waitUntil, () =>
        run.call(this, unwrapped, traceStep(step, name)),
      )
    }
  }
  Object.defineProperty(Traced, 'name', { value: name })
  return Traced
}
