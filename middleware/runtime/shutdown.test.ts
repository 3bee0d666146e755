import { EventEmitter } from 'node:events'
import { beforeEach, describe, expect, it, vi } from 'vitest'

type Install = typeof import('./shutdown.ts').flushOnShutdown

/** A fresh copy of the module: it installs once per process. */
let flushOnShutdown: Install
beforeEach(async () => {
  vi.resetModules()
  ;({ flushOnShutdown } = await import('./shutdown.ts'))
})

/** A flush that records when it starts and ends, and ends when the test lets it. */
function heldFlush(events: string[]) {
  let release!: () => void
  const flush = vi.fn(() => {
    events.push('flush started')
    return new Promise<void>((r) => (release = r)).then(() => void events.push('flush ended'))
  })
  return { flush, release: () => release() }
}

/** Node's process as the module uses it: a real event emitter whose kill is recorded. */
function nodeProcess(events: string[]) {
  const emitter = new EventEmitter()
  return Object.assign(emitter, { pid: 4242, kill: (pid: number, signal: string) => void events.push(`kill ${pid} ${signal}`) })
}

const settle = () => new Promise((r) => setTimeout(r, 0))

describe('flushOnShutdown in Node and Bun', () => {
  it('exports on SIGTERM, then raises the signal again once the export ended', async () => {
    const events: string[] = []
    const process = nodeProcess(events)
    const { flush, release } = heldFlush(events)
    flushOnShutdown(flush, { process })
    process.emit('SIGTERM')
    await settle()
    expect(events).toEqual(['flush started'])
    expect(process.listenerCount('SIGTERM')).toBe(0)
    release()
    await settle()
    expect(events).toEqual(['flush started', 'flush ended', 'kill 4242 SIGTERM'])
  })

  it('leaves ending to the application when it listens for the signal itself', async () => {
    const events: string[] = []
    const process = nodeProcess(events)
    const { flush, release } = heldFlush(events)
    flushOnShutdown(flush, { process })
    process.on('SIGINT', () => events.push('application stops'))
    process.emit('SIGINT')
    release()
    await settle()
    expect(events).toEqual(['flush started', 'application stops', 'flush ended'])
  })

  it('exports once when the event loop empties, however often beforeExit comes', async () => {
    const events: string[] = []
    const process = nodeProcess(events)
    const flush = vi.fn(async () => {})
    flushOnShutdown(flush, { process })
    process.emit('beforeExit', 0)
    process.emit('beforeExit', 0)
    await settle()
    expect(flush).toHaveBeenCalledTimes(1)
    expect(events).toEqual([])
  })

  it('installs once per process', () => {
    const process = nodeProcess([])
    flushOnShutdown(async () => {}, { process })
    flushOnShutdown(async () => {}, { process })
    flushOnShutdown(async () => {}, { process: nodeProcess([]) })
    expect(['SIGTERM', 'SIGINT', 'beforeExit'].map((e) => process.listenerCount(e))).toEqual([1, 1, 1])
  })
})

describe('flushOnShutdown in Deno', () => {
  it('exports on a signal and raises it again, and exports once at beforeunload', async () => {
    const events: string[] = []
    const listeners = new Map<string, () => void>()
    const unload: Array<() => void> = []
    const Deno = {
      pid: 7,
      addSignalListener: (signal: string, handler: () => void) => void listeners.set(signal, handler),
      removeSignalListener: (signal: string, handler: () => void) => void (listeners.get(signal) === handler && listeners.delete(signal)),
      kill: (pid: number, signal: string) => void events.push(`kill ${pid} ${signal}`),
    }
    const { flush, release } = heldFlush(events)
    flushOnShutdown(flush, { Deno, addEventListener: (type, handler) => void (type === 'beforeunload' && unload.push(handler)) })
    expect([...listeners.keys()]).toEqual(['SIGTERM', 'SIGINT'])
    listeners.get('SIGINT')!()
    expect([...listeners.keys()]).toEqual(['SIGTERM'])
    release()
    await settle()
    expect(events).toEqual(['flush started', 'flush ended', 'kill 7 SIGINT'])
    expect(unload).toHaveLength(1)
    unload[0]()
    unload[0]()
    expect(flush).toHaveBeenCalledTimes(2)
  })
})

describe('flushOnShutdown elsewhere', () => {
  it('does nothing, and throws nothing, where there is neither Deno nor a process', () => {
    const flush = vi.fn(async () => {})
    expect(() => flushOnShutdown(flush, {})).not.toThrow()
    expect(() => flushOnShutdown(flush, { process: {} as never })).not.toThrow()
    expect(flush).not.toHaveBeenCalled()
  })
})
