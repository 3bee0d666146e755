import { describe, expect, it } from 'vitest'
import { categorize, parseStacks, tally } from './perf-stacks.ts'

const WORKERD = '/x/workerd'
const f = (symbol: string, dso = WORKERD) => ({ symbol, dso })

describe('categorize', () => {
  it('counts garbage collection wherever it is in the stack', () => {
    expect(categorize([f('memmove', 'libc.so.6'), f('v8::internal::ScavengerCollector::CollectGarbage'), f('[unknown]', '/tmp/perf-1.map')])).toBe('garbage collection')
  })

  it('counts V8 compiling, on its own thread or in the main one, after garbage collection', () => {
    expect(categorize([f('v8::internal::compiler::GraphReducer::ReduceTop'), f('v8::internal::OptimizingCompileTaskExecutor::CompileTask::Run')])).toBe('V8 compilers')
    expect(categorize([f('memmove', 'libc.so.6'), f('v8::internal::ScavengerJobTask::Run')])).toBe('garbage collection')
  })

  it('reads the leaf for JavaScript, the kernel and gzip', () => {
    expect(categorize([f('[unknown]', '/tmp/perf-13708.map')])).toBe('JavaScript')
    expect(categorize([f('Builtins_StringAdd_NoMapCheck'), f('workerd::api::node::AsyncLocalStorage::run')])).toBe('JavaScript')
    expect(categorize([f('_raw_spin_unlock_irqrestore', '[kernel.kallsyms]')])).toBe('kernel')
    expect(categorize([f('deflate_slow'), f('workerd::api::CompressionStream::write')])).toBe('gzip (zlib)')
  })

  it('gives a native leaf near a context frame to AsyncLocalStorage, and a deeper one to the rest', () => {
    expect(categorize([f('kj::refcounted'), f('workerd::jsg::AsyncContextFrame::AsyncContextFrame')])).toBe('AsyncLocalStorage frames')
    const deep = [f('workerd::api::Headers::get'), ...Array.from({ length: 12 }, () => f('[unknown]', '/tmp/perf-1.map')), f('workerd::api::node::AsyncLocalStorage::run')]
    expect(categorize(deep)).toBe('other native')
  })
})

describe('parseStacks', () => {
  it('reads perf script samples, leaf first, with symbols that hold spaces and parentheses', () => {
    const text = [
      '',
      '\t         475b84b workerd::jsg::AsyncContextFrame::StorageEntry::clone+0x2b (/x/workerd)',
      '\t         36f2048 workerd::api::node::AsyncLocalStorage::run(workerd::jsg::Lock&)+0x148 (/x/workerd)',
      '\t    5556c47e4c80 [unknown] (/tmp/perf-13708.map)',
      '',
      '\t ffffffff8100 _raw_spin_unlock_irqrestore+0x1d ([kernel.kallsyms])',
      '',
    ].join('\n')
    const stacks = parseStacks(text)
    expect(stacks).toEqual([
      [f('workerd::jsg::AsyncContextFrame::StorageEntry::clone'), f('workerd::api::node::AsyncLocalStorage::run(workerd::jsg::Lock&)'), f('[unknown]', '/tmp/perf-13708.map')],
      [f('_raw_spin_unlock_irqrestore', '[kernel.kallsyms]')],
    ])
    expect(tally(stacks)).toMatchObject({ 'AsyncLocalStorage frames': 1, kernel: 1, JavaScript: 0 })
  })
})
