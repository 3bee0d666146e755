// Workers AI has no local implementation (Miniflare proxies it to Cloudflare), so the table is called
// through instrumentBinding on an object with workerd's `Ai` methods and answer shapes.
import { SpanKind, context, trace } from '@opentelemetry/api'
import { beforeEach, describe, expect, it } from 'vitest'
import { telemetry } from '../../runtime/telemetry.ts'
import { configureTelemetry } from '../../../test/binding-calls.ts'
import type { FinishedSpan } from '../../sdk/trace/tracer.ts'
import { AI } from './ai.ts'
import { bindingBase, instrumentBinding } from './client.ts'

beforeEach(() => configureTelemetry(true))

/** workerd's `Ai`: `run` answers JSON, or a stream of server-sent events with `stream: true`. */
class Ai {
  async run(model: string, inputs: { prompt?: string; stream?: boolean }, _options?: { gateway?: { id: string } }) {
    if (inputs.stream) return new Response(`data: {"response":"echo ${inputs.prompt}"}\n\n`).body
    return { response: `echo ${inputs.prompt}`, usage: { prompt_tokens: 3, completion_tokens: 2 } }
  }
  async models() {
    return [{ name: '@cf/meta/llama-3.1-8b-instruct' }]
  }
}

async function inRequest<T>(fn: (ai: Ai) => Promise<T>): Promise<{ result: T; spans: FinishedSpan[] }> {
  const ai = instrumentBinding(new Ai(), AI, bindingBase('AI'))
  const server = telemetry.own.tracer.startSpan('POST /ask', { kind: SpanKind.SERVER })
  const before = telemetry.spans.length
  const result = await context.with(trace.setSpan(context.active(), server), () => fn(ai))
  server.end()
  return { result, spans: telemetry.spans.slice(before).filter((s) => s !== (server as unknown)) }
}

describe('AI', () => {
  it('records the model of each run and never its inputs, options or answer, even with keys recorded', async () => {
    const { result, spans } = await inRequest((ai) => ai.run('@cf/meta/llama-3.1-8b-instruct', { prompt: 'prompt-secret' }, { gateway: { id: 'gateway-secret' } }))
    expect((result as { response: string }).response).toBe('echo prompt-secret')
    expect(spans.map((s) => [s.name, s.kind, s.attributes['gen_ai.request.model']])).toEqual([['ai_run', SpanKind.CLIENT, '@cf/meta/llama-3.1-8b-instruct']])
    expect(spans[0].attributes).toMatchObject({ 'db.system.name': 'cloudflare-workers-ai', 'db.operation.name': 'run', 'cloudflare.binding.type': 'AI' })
    const recorded = JSON.stringify(spans)
    for (const secret of ['prompt-secret', 'gateway-secret', 'tokens']) expect(recorded).not.toContain(secret)
  })

  it('hands a streamed answer back unread', async () => {
    const { result, spans } = await inRequest((ai) => ai.run('@cf/meta/llama-3.1-8b-instruct', { prompt: 'hi', stream: true }))
    expect(await new Response(result as ReadableStream).text()).toBe('data: {"response":"echo hi"}\n\n')
    expect(spans.map((s) => s.name)).toEqual(['ai_run'])
  })

  it('traces run alone', async () => {
    const { result, spans } = await inRequest((ai) => ai.models())
    expect(result).toHaveLength(1)
    expect(spans).toEqual([])
  })

  it('reads a model of any type without throwing', () => {
    for (const model of [undefined, 42, { name: 'x' }]) {
      const attributes = {}
      AI.operations.run.request!([model], attributes, false)
      expect(attributes).toEqual({ 'gen_ai.request.model': String(model) })
    }
  })
})
