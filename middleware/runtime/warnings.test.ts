import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { forgetWarnings, warnOnce } from './warnings.ts'

let warn: ReturnType<typeof vi.spyOn>

beforeEach(() => {
  forgetWarnings()
  warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
})
afterEach(() => warn.mockRestore())

const messages = (): string[] => warn.mock.calls.map((c: unknown[]) => String(c[0]))

describe('warnOnce', () => {
  it('writes each message once, prefixed with the library name', () => {
    warnOnce('the collector is down')
    warnOnce('the collector is down')
    warnOnce('the queue is full')
    expect(messages()).toEqual(['[edge-otel] the collector is down', '[edge-otel] the queue is full'])
  })

  it('reports once per key, whatever the message says the second time', () => {
    warnOnce('3 spans were dropped', 'buffer')
    warnOnce('7 spans were dropped', 'buffer')
    warnOnce('3 spans were dropped', 'other')
    expect(messages()).toEqual(['[edge-otel] 3 spans were dropped', '[edge-otel] 3 spans were dropped'])
  })

  it('reports again what it was told to forget', () => {
    warnOnce('bad setting', 'config')
    forgetWarnings()
    warnOnce('bad setting', 'config')
    expect(messages()).toHaveLength(2)
  })
})
