// instrumentWorkflowBinding and instrumentWorkflow in Node, on objects shaped as workerd's Workflow
// binding and WorkflowStep, exporting to a real OTLP receiver. test/platform.test.ts runs them in
// workerd's own Workflows engine.
import { SpanKind, context, trace } from '@opentelemetry/api'
import { beforeAll, describe, expect, it } from 'vitest'
import type { ReceivedSpan } from '../testing/decode.ts'
import { telemetry } from '../runtime/telemetry.ts'
import { useReceiver } from '../../test/receiver-setup.ts'
import { instrumentWorkflow, instrumentWorkflowBinding } from './workflow.ts'

let env: Record<string, string>

const receiver = useReceiver({
  beforeClear: () => {
    telemetry.reset()
    telemetry.configure(env, { serviceName: 'orders', instrumentGlobalFetch: false })
  },
})
beforeAll(() => {
  env = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '0' }
})

/** A Workflow binding: keeps each instance's params as given, as the engine stores them. */
class WorkflowBinding {
  readonly created: { id: string; params: unknown }[] = []
  async create(options: { id?: string; params?: unknown } = {}) {
    const id = options.id ?? `instance-${this.created.length + 1}`
    this.created.push({ id, params: options.params })
    return { id }
  }
  async createBatch(batch: { id?: string; params?: unknown }[]) {
    return Promise.all(batch.map((options) => this.create(options)))
  }
  async get(id: string) {
    return { id, status: async () => ({ status: 'queued' }) }
  }
}

/** A WorkflowStep: `do(name, [config], callback)` runs the callback, `sleep` returns at once. */
const workflowStep = () => ({
  log: [] as string[],
  async do(name: string, ...rest: unknown[]) {
    this.log.push(`do ${name}`)
    return (rest.at(-1) as () => unknown)()
  },
  async sleep(name: string, _duration: unknown) {
    this.log.push(`sleep ${name}`)
  },
})

class OrderFlow {
  readonly ctx: { waitUntil(p: Promise<unknown>): void }
  readonly env: unknown
  constructor(ctx: { waitUntil(p: Promise<unknown>): void }, env: unknown) {
    this.ctx = ctx
    this.env = env
  }
  async run(event: { payload: { orderId: string; fail?: boolean } }, step: ReturnType<typeof workflowStep>) {
    const reserved = await step.do('reserve', { retries: { limit: 1 } }, async () => {
      if (event.payload.fail) throw new RangeError('out of stock')
      return `reserved ${event.payload.orderId}`
    })
    await step.sleep('cool down', '1 second')
    const inStep = await step.do('check', async () => trace.getActiveSpan() !== undefined)
    return { reserved, inStep }
  }
}

async function exported(pending: Promise<unknown>[], count: number): Promise<ReceivedSpan[]> {
  await Promise.all(pending)
  await telemetry.flush()
  await receiver.waitFor(() => receiver.spans.length >= count, 10_000, `${count} spans`)
  await receiver.idle(100)
  return receiver.spans
}

function inRequest<T>(fn: () => Promise<T>): Promise<T> {
  const server = telemetry.own.tracer.startSpan('POST /orders', { kind: SpanKind.SERVER })
  return context.with(trace.setSpan(context.active(), server), fn).finally(() => server.end())
}

describe('instrumentWorkflowBinding and instrumentWorkflow', () => {
  it('carries the trace from create to run, which sees the params as given, with a span per step', async () => {
    const binding = new WorkflowBinding()
    const orders = instrumentWorkflowBinding(binding, 'order-flow')
    expect(await inRequest(() => orders.create({ id: 'o1', params: { orderId: 'o1' } }))).toEqual({ id: 'o1' })
    expect(binding.created[0].params).toEqual({ __otel: { traceparent: expect.stringMatching(/^00-/) }, body: { orderId: 'o1' } })

    const pending: Promise<unknown>[] = []
    const Traced = instrumentWorkflow(OrderFlow, { instrumentGlobalFetch: false })
    expect(Traced.name).toBe('OrderFlow')
    const step = workflowStep()
    const flow = new Traced({ waitUntil: (p) => void pending.push(p) }, env)
    expect(await flow.run({ payload: binding.created[0].params, instanceId: 'o1' } as never, step)).toEqual({ reserved: 'reserved o1', inStep: true })
    expect(step.log).toEqual(['do reserve', 'sleep cool down', 'do check'])

    const spans = await exported(pending, 6)
    const byName = (name: string) => spans.find((s) => s.name === name)!
    const create = byName('create order-flow')
    const run = byName('run OrderFlow')
    expect(create).toMatchObject({ kind: 4, parentSpanId: byName('POST /orders').spanId, attributes: { 'cloudflare.workflow.name': 'order-flow' } })
    expect(run).toMatchObject({ kind: 2, traceId: create.traceId, parentSpanId: create.spanId })
    expect(run.attributes).toMatchObject({ 'faas.trigger': 'other', 'cloudflare.workflow.name': 'OrderFlow', 'cloudflare.workflow.instance.id': 'o1' })
    expect(spans.filter((s) => s.parentSpanId === run.spanId).map((s) => [s.name, s.kind, s.attributes['cloudflare.workflow.step.name']])).toEqual([
      ['step.do reserve', 1, 'reserve'],
      ['step.sleep cool down', 1, 'cool down'],
      ['step.do check', 1, 'check'],
    ])
    expect(JSON.stringify(spans)).not.toContain('orderId')
  })

  it('rethrows a failed step’s error unchanged, recorded on the step and the run', async () => {
    const pending: Promise<unknown>[] = []
    const flow = new (instrumentWorkflow(OrderFlow, { instrumentGlobalFetch: false }))({ waitUntil: (p) => void pending.push(p) }, env)
    const error = await flow.run({ payload: { orderId: 'o2', fail: true } } as never, workflowStep()).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RangeError)
    expect((error as Error).message).toBe('out of stock')
    const spans = await exported(pending, 2)
    const run = spans.find((s) => s.name === 'run OrderFlow')!
    const failed = spans.find((s) => s.name === 'step.do reserve')!
    expect(run.parentSpanId ?? '').toBe('')
    expect([failed.status.code, failed.attributes['error.type'], run.status.code]).toEqual([2, 'RangeError', 2])
  })

  it('records a batch’s size, wraps each instance’s params, and leaves other members the binding’s own', async () => {
    const binding = new WorkflowBinding()
    const orders = instrumentWorkflowBinding(binding, 'order-flow')
    await inRequest(() => orders.createBatch!([{ params: { orderId: 'a' } }, { params: { orderId: 'b' } }]))
    expect(binding.created.map((c) => (c.params as { body: unknown }).body)).toEqual([{ orderId: 'a' }, { orderId: 'b' }])
    expect(await (await orders.get('a')).status()).toEqual({ status: 'queued' })
    const spans = await exported([], 2)
    expect(spans.filter((s) => s.kind === 4).map((s) => [s.name, s.attributes['messaging.batch.message_count']])).toEqual([['create order-flow', 2]])
  })
})
