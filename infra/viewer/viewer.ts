// The local trace viewer: an OTLP/HTTP receiver whose port also serves the trace list, each trace's
// waterfall and the request metrics, live. `npm run dev` starts it, and so does `npx edge-otel-viewer`.
import { startReceiver } from '../../middleware/testing/receiver.ts'
import { EventStream } from './events.ts'
import { DEFAULT_INGEST_LIMITS, durationPointsFromExport, logsFromExport, spansFromExport } from './ingest.ts'
import { RequestMetrics } from './metrics.ts'
import { viewerRoutes } from './routes.ts'
import { TracePrinter } from './terminal.ts'
import { type StoreChange, TraceStore } from './traces.ts'

/** Where the viewer listens, how much it keeps, and where its terminal lines and warnings go. */
export interface ViewerOptions {
  host?: string
  /** 4318, the OTLP/HTTP port, unless given; 0 picks a free one. */
  port?: number
  /** Traces kept in memory; the oldest goes for each new one past this. */
  maxTraces?: number
  /** Called with one line per trace once it has been quiet for `quietMs` (the terminal's view). */
  onTraceLine?: (line: string) => void
  quietMs?: number
  /** Colour the trace lines (for a terminal). */
  color?: boolean
  /** Called once for each kind of request the viewer refused or data it left out, with the reason. */
  onWarning?: (message: string) => void
}

/** A running viewer. */
export interface Viewer {
  /** Base URL: the OTLP endpoint, and the trace list at `${url}/`. */
  url: string
  traces: TraceStore
  metrics: RequestMetrics
  close(): Promise<void>
}

/** Bodies above this, as sent or unzipped, are refused with 413. */
const MAX_BODY_BYTES = 64 * 1024 * 1024
/** At most one metrics update a second goes to the pages. */
const METRICS_EVENT_MS = 1000

/**
 * Starts the viewer: OTLP/HTTP in on `/v1/*`, its pages and their JSON on the same port.
 *
 * @example
 * const viewer = await startViewer({ port: 4318, onTraceLine: (line) => console.log(line) })
 * console.log(`open ${viewer.url}/ and set OTEL_EXPORTER_OTLP_ENDPOINT=${viewer.url}`)
 */
export async function startViewer(options: ViewerOptions = {}): Promise<Viewer> {
  const traces = new TraceStore(options.maxTraces ? { maxTraces: options.maxTraces } : {})
  const metrics = new RequestMetrics()
  const events = new EventStream()
  const warned = new Set<string>()
  const warnOnce = (kind: string, message: string) => {
    if (warned.has(kind)) return
    warned.add(kind)
    options.onWarning?.(message)
  }
  let printer: TracePrinter | undefined
  let metricsEvent: ReturnType<typeof setTimeout> | undefined

  const publish = (change: StoreChange) => {
    const services = traces.services()
    for (const traceId of change.updated) events.send('trace', { summary: traces.summary(traceId), services })
    if (change.evicted.length) events.send('evicted', change.evicted)
    printer?.evicted(change.evicted)
    printer?.touched(change.updated)
  }

  const receiver = await startReceiver({
    host: options.host,
    port: options.port ?? 4318,
    retain: false,
    // OTLP/JSON from any SDK is taken as it comes; ingest.ts makes every value safe to keep and show.
    strictJson: false,
    maxBodyBytes: MAX_BODY_BYTES,
    onExport(signal, decoded) {
      if (signal === 'traces') {
        const { spans, skipped } = spansFromExport(decoded, DEFAULT_INGEST_LIMITS)
        if (skipped) warnOnce('ids', `[viewer] left out ${skipped} span(s) without a valid traceId (32 hex digits) and spanId (16): check the sender's OTLP encoding`)
        publish(traces.addSpans(spans))
      } else if (signal === 'logs') {
        publish(traces.addLogs(logsFromExport(decoded, DEFAULT_INGEST_LIMITS)))
      } else {
        if (metrics.add(durationPointsFromExport(decoded, DEFAULT_INGEST_LIMITS)) && !metricsEvent) {
          metricsEvent = setTimeout(() => {
            metricsEvent = undefined
            events.send('metrics', {})
          }, METRICS_EVENT_MS)
          metricsEvent.unref?.()
        }
        if (metrics.ignoredCumulativePoints) {
          warnOnce('cumulative', '[viewer] CUMULATIVE points of http.server.request.duration are not charted: set OTEL_EXPORTER_OTLP_METRICS_TEMPORALITY_PREFERENCE=delta (the default of edge-otel)')
        }
      }
    },
    onRefused(signal, status, reason) {
      const kind = reason.split(':')[0]
      warnOnce(
        `refused:${signal}:${status}:${kind}`,
        `[viewer] refused a /v1/${signal} request (${status}): ${reason.slice(0, 300)}. It takes OTLP/HTTP protobuf or JSON, gzipped or not, up to ${MAX_BODY_BYTES / 1024 / 1024} MiB; further ${kind}s are not printed`,
      )
    },
    serve: viewerRoutes({ traces, metrics, events }),
  })

  if (options.onTraceLine) {
    printer = new TracePrinter({ url: receiver.url, write: options.onTraceLine, quietMs: options.quietMs, color: options.color }, (id) => traces.summary(id))
  }

  return {
    url: receiver.url,
    traces,
    metrics,
    async close() {
      clearTimeout(metricsEvent)
      printer?.close()
      events.close()
      await receiver.close()
    },
  }
}
