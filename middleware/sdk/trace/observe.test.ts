import { ROOT_CONTEXT, trace } from '@opentelemetry/api'
import { describe, expect, it } from 'vitest'
import { observeSpans } from './observe.ts'
import { createSampler } from './sampling.ts'
import { EdgeTracerProvider, type FinishedSpan } from './tracer.ts'

describe('observeSpans', () => {
  it('tells of each recording span as it starts, with its parent context, and as it ends, for tracers made before too', () => {
    const exported: FinishedSpan[] = []
    const provider = new EdgeTracerProvider((span) => exported.push(span))
    const before = provider.getTracer('before')
    const events: string[] = []
    observeSpans(provider, {
      started: (span, parent) => events.push(`start ${span.name} under ${trace.getSpan(parent)?.spanContext().spanId ?? 'root'}`),
      ended: (span) => events.push(`end ${span.name}, ${exported.includes(span) ? 'after' : 'before'} the sink`),
    })
    const parent = before.startSpan('parent', {}, ROOT_CONTEXT)
    const child = provider.getTracer('after').startSpan('child', {}, trace.setSpan(ROOT_CONTEXT, parent))
    child.end()
    parent.end()
    expect(events).toEqual([
      'start parent under root',
      `start child under ${parent.spanContext().spanId}`,
      'end child, before the sink',
      'end parent, before the sink',
    ])
    expect(exported.map((s) => s.name)).toEqual(['child', 'parent'])
  })

  it('leaves out spans that are not recorded', () => {
    const provider = new EdgeTracerProvider(() => {})
    provider.sampler = createSampler('always_off', 1)
    const seen: string[] = []
    observeSpans(provider, { started: (span) => seen.push(span.name), ended: (span) => seen.push(span.name) })
    provider.getTracer('t').startSpan('dropped').end()
    expect(seen).toEqual([])
  })
})
