// A long-lived server (Deno.serve, Bun.serve, Node) has no waitUntil: its exports run in the
// background, and what is still buffered when it is told to stop is exported before it exits.

const SIGNALS = ['SIGTERM', 'SIGINT'] as const
type StopSignal = (typeof SIGNALS)[number]

interface Deno {
  addSignalListener(signal: StopSignal, handler: () => void): void
  removeSignalListener(signal: StopSignal, handler: () => void): void
  kill(pid: number, signal: StopSignal): void
  pid: number
}

interface NodeProcess {
  on(event: string, handler: () => void): void
  removeListener(event: string, handler: () => void): void
  listenerCount(event: string): number
  kill(pid: number, signal: StopSignal): void
  pid: number
}

let installed = false

/**
 * Exports what is buffered when the process is told to stop (SIGTERM, SIGINT) and, in Node and Bun,
 * once when its event loop empties (`beforeExit`; Deno: `beforeunload`). After the export the signal is
 * raised again, so the process ends as it would have; if the application listens for the signal
 * itself, ending is left to it. Installed once per process.
 */
export function flushOnShutdown(flush: () => Promise<void>, g: { Deno?: Deno; process?: NodeProcess; addEventListener?: (type: string, handler: () => void) => void } = globalThis as never): void {
  if (installed) return
  installed = true
  // Once: each export counts its own items, which the next export would carry, and so on.
  let flushedAtExit = false
  const flushAtExit = () => {
    if (flushedAtExit) return
    flushedAtExit = true
    void flush()
  }
  const deno = g.Deno
  if (deno?.addSignalListener) {
    for (const signal of SIGNALS) {
      const stop = () => {
        deno.removeSignalListener(signal, stop)
        void flush().finally(() => deno.kill(deno.pid, signal))
      }
      deno.addSignalListener(signal, stop)
    }
    g.addEventListener?.('beforeunload', flushAtExit)
    return
  }
  const process = g.process
  if (!process?.on) return
  for (const signal of SIGNALS) {
    const stop = () => {
      process.removeListener(signal, stop)
      void flush().finally(() => {
        if (process.listenerCount(signal) === 0) process.kill(process.pid, signal)
      })
    }
    process.on(signal, stop)
  }
  process.on('beforeExit', flushAtExit)
}
