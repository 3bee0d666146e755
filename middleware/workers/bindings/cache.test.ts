import { afterEach, describe, expect, it, vi } from 'vitest'

const original = Object.getOwnPropertyDescriptor(globalThis, 'caches')

afterEach(() => {
  if (original) Object.defineProperty(globalThis, 'caches', original)
  else delete (globalThis as { caches?: unknown }).caches
  vi.resetModules()
})

describe('instrumentCaches', () => {
  it("leaves a CacheStorage without workerd's default cache (Deno's, a browser's) working, with open() traced", async () => {
    const opened = { match: async () => undefined, put: async () => {}, delete: async () => false }
    Object.defineProperty(globalThis, 'caches', { configurable: true, value: { open: async () => opened, has: async () => true } })
    const { instrumentCaches } = await import('./cache.ts')
    expect(() => instrumentCaches()).not.toThrow()
    const storage = (globalThis as { caches?: unknown }).caches as { default?: unknown; open(name: string): Promise<Cache>; has(name: string): Promise<boolean> }
    expect(storage.default).toBeUndefined()
    expect(await storage.has('x')).toBe(true)
    expect(await (await storage.open('pages')).match('http://x/')).toBeUndefined()
  })

  it('does nothing where there is no CacheStorage (Node)', async () => {
    delete (globalThis as { caches?: unknown }).caches
    const { instrumentCaches } = await import('./cache.ts')
    expect(() => instrumentCaches()).not.toThrow()
    expect((globalThis as { caches?: unknown }).caches).toBeUndefined()
  })
})
