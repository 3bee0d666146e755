import { ROOT_CONTEXT, createContextKey } from '@opentelemetry/api'
import { describe, expect, it } from 'vitest'
import { AsyncLocalStorageContextManager } from './context.ts'

const KEY = createContextKey('request')
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms))

describe('AsyncLocalStorageContextManager', () => {
  const manager = new AsyncLocalStorageContextManager()

  it('is the root context outside any with()', () => {
    expect(manager.active()).toBe(ROOT_CONTEXT)
  })

  it('keeps each concurrent task on its own context across awaits', async () => {
    const seen = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        manager.with(ROOT_CONTEXT.setValue(KEY, i), async () => {
          await pause(Math.random() * 10)
          const before = manager.active().getValue(KEY)
          await pause(Math.random() * 10)
          return [before, manager.active().getValue(KEY)]
        }),
      ),
    )
    seen.forEach(([before, after], i) => expect([before, after]).toEqual([i, i]))
  })

  it('binds a function to a context', () => {
    const bound = manager.bind(ROOT_CONTEXT.setValue(KEY, 'bound'), () => manager.active().getValue(KEY))
    expect(bound()).toBe('bound')
    expect(manager.bind(ROOT_CONTEXT, 42)).toBe(42)
  })

  it('disable() never throws (workerd throws on AsyncLocalStorage.disable)', () => {
    expect(() => manager.disable().enable()).not.toThrow()
  })
})

describe('REQUEST_ROOT', () => {
  it('derives contexts that read, shadow and delete values like the API context', async () => {
    const { REQUEST_ROOT } = await import('./context.ts')
    const A = createContextKey('a')
    const B = createContextKey('b')
    const one = REQUEST_ROOT.setValue(A, 1)
    const two = one.setValue(B, 2).setValue(A, 3)
    expect([one.getValue(A), one.getValue(B)]).toEqual([1, undefined])
    expect([two.getValue(A), two.getValue(B)]).toEqual([3, 2])
    expect(two.deleteValue(A).getValue(A)).toBeUndefined()
    expect(REQUEST_ROOT.getValue(A)).toBeUndefined()
  })
})
