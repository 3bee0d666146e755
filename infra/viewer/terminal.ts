// The terminal's view: one line per trace, printed once no span or log of it has arrived for a
// moment (the functions of one trace export separately, the root's last), and again if more of it
// arrives later.
import type { TraceSummary } from './model.ts'

const RED = '\x1b[31m'
const DIM = '\x1b[2m'
const RESET = '\x1b[0m'

/** Control characters of a received name written as `?`, so a span name cannot move the cursor or recolour the terminal. */
const plain = (s: string) => s.replace(/[\u0000-\u001f\u007f-\u009f]/g, '?')

function duration(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms.toFixed(1)} ms`
}

/** `GET /orders/:id  gateway, orders, inventory  6 spans  24.0 ms  OK  http://…/traces/<id>` */
export function formatTraceLine(summary: TraceSummary, pageUrl: string, options: { color?: boolean; again?: boolean } = {}): string {
  const paint = (code: string, s: string) => (options.color ? `${code}${s}${RESET}` : s)
  const status = summary.errorCount ? paint(RED, `ERROR (${summary.errorCount} span${summary.errorCount === 1 ? '' : 's'})`) : 'OK'
  const root = summary.hasRoot ? '' : ' (root not received)'
  const again = options.again ? ' (more arrived)' : ''
  const counts = `${summary.spanCount} span${summary.spanCount === 1 ? '' : 's'}${summary.logCount ? `, ${summary.logCount} log${summary.logCount === 1 ? '' : 's'}` : ''}`
  return `trace ${plain(summary.rootName)}${root}  ${plain(summary.services.join(', '))}  ${counts}  ${duration(summary.durationMs)}  ${status}  ${paint(DIM, pageUrl)}${again}`
}

export interface TracePrinterOptions {
  /** Base URL of the viewer's pages. */
  url: string
  write: (line: string) => void
  /** How long a trace whose root span has arrived must be quiet before its line is printed. */
  quietMs?: number
  /** The same for a trace without its root yet (the root ends last, so it usually arrives last). */
  rootlessQuietMs?: number
  color?: boolean
}

/** Prints each trace's line once it is quiet; `touched` is told of every trace that received something. */
export class TracePrinter {
  private readonly pending = new Map<string, ReturnType<typeof setTimeout>>()
  private readonly printed = new Map<string, number>()
  private readonly options: Required<TracePrinterOptions>
  private readonly summaryOf: (traceId: string) => TraceSummary | undefined

  constructor(options: TracePrinterOptions, summaryOf: (traceId: string) => TraceSummary | undefined) {
    this.options = { ...options, quietMs: options.quietMs ?? 500, rootlessQuietMs: options.rootlessQuietMs ?? 3000, color: options.color ?? false }
    this.summaryOf = summaryOf
  }

  touched(traceIds: string[]): void {
    for (const traceId of traceIds) {
      clearTimeout(this.pending.get(traceId))
      const quiet = this.summaryOf(traceId)?.hasRoot ? this.options.quietMs : this.options.rootlessQuietMs
      const timer = setTimeout(() => this.print(traceId), quiet)
      timer.unref?.()
      this.pending.set(traceId, timer)
    }
  }

  /** Forgets traces the store dropped. */
  evicted(traceIds: string[]): void {
    for (const traceId of traceIds) {
      clearTimeout(this.pending.get(traceId))
      this.pending.delete(traceId)
      this.printed.delete(traceId)
    }
  }

  close(): void {
    for (const timer of this.pending.values()) clearTimeout(timer)
    this.pending.clear()
  }

  private print(traceId: string): void {
    this.pending.delete(traceId)
    const summary = this.summaryOf(traceId)
    if (!summary) return
    const seen = this.printed.get(traceId)
    const size = summary.spanCount + summary.logCount
    if (seen === size) return
    this.printed.set(traceId, size)
    this.options.write(formatTraceLine(summary, `${this.options.url}/traces/${traceId}`, { color: this.options.color, again: seen !== undefined }))
  }
}
