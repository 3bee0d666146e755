// The flush pipeline: what one flush does with the spans the batch hands it. It collects the
// metrics, encodes each signal, asks the opt-in sources (logs, tail sampling, SDK exporters) for
// theirs, sends every payload, counts its items as exported, rejected or failed, and spills a batch
// the collector could not take to the spill queue when one is bound.
import { type Attributes, type Counter } from '@opentelemetry/api'
import { ATTR_ERROR_TYPE } from '@opentelemetry/semantic-conventions'
import { ATTR_OTEL_COMPONENT_NAME, ATTR_OTEL_COMPONENT_TYPE } from '@opentelemetry/semantic-conventions/incubating'
import { ExportError, type OtlpPayload, type PayloadSource, type SendResult, type Transport, encodeMetrics, encodeTraces } from '../exporter/export.ts'
import { type SpillQueue, spill } from '../exporter/spill.ts'
import type { EdgeMeterProvider } from '../sdk/metrics/metrics.ts'
import { errorTypeOf } from '../sdk/trace/tracer.ts'
import { LIBRARY_NAME } from '../sdk/version.ts'
import type { TakenSpans } from './batch.ts'
import type { ResolvedConfig } from './config.ts'
import type { LibraryInstruments } from './instruments.ts'
import { warnOnce } from './warnings.ts'

const UNCOUNTED: Counter = { add() {} }

/** What a flush reads of the isolate, each when it needs it: until it is configured, nothing is exported. */
export interface FlushParts {
  readonly meterProvider: EdgeMeterProvider
  readonly own: LibraryInstruments
  readonly config: Readonly<ResolvedConfig> | undefined
  readonly resource: Readonly<Attributes>
  readonly transport: Transport | undefined
  readonly spillQueue: SpillQueue | undefined
}

/** The isolate's flush, and the opt-in parts that add payloads to it. */
export interface FlushPipeline {
  /** Adds a payload maker that every flush calls; adding one twice adds it once. */
  addSource(source: PayloadSource): void
  /**
   * Exports the spans taken from the batch and every measurement made since the last flush, once.
   * Never rejects: failures are reported once per isolate and cause.
   */
  flush(taken: TakenSpans): Promise<void>
}

/**
 * Makes the flush pipeline of the isolate whose parts `parts` reads.
 *
 * @example
 * const pipeline = createPipeline(telemetry)
 * await pipeline.flush(batch.take())
 */
export function createPipeline(parts: FlushParts): FlushPipeline {
  const sources = new Set<PayloadSource>()

  /**
   * Sends one payload and counts its items as exported, rejected (partial success) or failed.
   * Counted now, exported with the next flush: a failed export cannot report itself.
   */
  async function send(p: OtlpPayload): Promise<void> {
    const attributes: Attributes = {
      [ATTR_OTEL_COMPONENT_TYPE]: `otlp_http${p.contentType === 'application/json' ? '_json' : ''}_${p.signal === 'traces' ? 'span' : p.signal === 'logs' ? 'log' : 'metric'}_exporter`,
      [ATTR_OTEL_COMPONENT_NAME]: `${LIBRARY_NAME}/${p.signal}`,
    }
    // Log exports are not counted here (the logs module counts processed records).
    const counter = p.signal === 'traces' ? parts.own.spansExported : p.signal === 'metrics' ? parts.own.pointsExported : UNCOUNTED
    let result: SendResult | void
    try {
      result = await parts.transport!.send(p)
    } catch (reason) {
      return keepOrDrop(p, reason, counter, attributes)
    }
    const rejected = Math.min(p.items, result?.rejected ?? 0)
    if (rejected > 0) {
      warnOnce(`the collector rejected ${rejected} of ${p.items} ${p.signal} items: ${result?.message}`, `${p.signal}:rejected`)
      counter.add(rejected, { ...attributes, [ATTR_ERROR_TYPE]: 'rejected' })
    }
    if (p.items > rejected) counter.add(p.items - rejected, attributes)
  }

  /**
   * A batch the collector did not take: if the collector was unavailable and a spill queue is
   * bound, the batch goes there for `replayTelemetry` to send later; otherwise it is dropped.
   * Either way it is counted and reported once.
   */
  async function keepOrDrop(p: OtlpPayload, reason: unknown, counter: Counter, attributes: Attributes): Promise<void> {
    const type = reason instanceof ExportError ? reason.type : errorTypeOf(reason)
    const message = reason instanceof Error ? reason.message : String(reason)
    const queue = parts.spillQueue
    if (queue && reason instanceof ExportError && reason.retryable) {
      try {
        await spill(queue, p)
        parts.own.spilled.add(p.items, attributes)
        warnOnce(`export of ${p.signal} failed (${message}); spilled to the queue for replay.`, `${p.signal}:spill`)
        return
      } catch (error) {
        warnOnce(`spilling ${p.signal} failed (${String(error)}).`, `${p.signal}:spill-failed`)
      }
    }
    counter.add(p.items, { ...attributes, [ATTR_ERROR_TYPE]: type })
    warnOnce(
      `export of ${p.signal} failed (${message}); ${p.items} items were dropped.${reason instanceof ExportError && reason.retryable ? ` Bind a Queue as ${parts.config?.spillQueueBinding} to keep them.` : ''}`,
      `${p.signal}:${type}`,
    )
  }

  return {
    addSource(source) {
      sources.add(source)
    },
    async flush({ spans, dropped }) {
      // Spans the buffer took, and the ones it had to drop (reported with this flush's metrics).
      const processor = { [ATTR_OTEL_COMPONENT_TYPE]: 'batching_span_processor' }
      if (spans.length) parts.own.spansProcessed.add(spans.length, processor)
      if (dropped) parts.own.spansProcessed.add(dropped, { ...processor, [ATTR_ERROR_TYPE]: 'queue_full' })
      try {
        const collected = await parts.meterProvider.collect()
        const config = parts.config
        if (!parts.transport || !config) return
        const payloads: OtlpPayload[] = []
        const { traces, metrics } = config.signals
        if (spans.length && traces) payloads.push(encodeTraces(traces.protocol, parts.resource, spans))
        if (collected.length && metrics) payloads.push(encodeMetrics(metrics.protocol, parts.resource, collected))
        const flushed = { spans, scopes: collected }
        for (const source of sources) {
          const payload = source(config.signals, parts.resource, flushed)
          if (payload) payloads.push(payload)
        }
        await Promise.all(payloads.map(send))
        if (dropped) {
          warnOnce(`${dropped} spans over OTEL_BSP_MAX_QUEUE_SIZE (${config.maxQueueSize}) were dropped; raise it.`, 'buffer')
        }
      } catch (error) {
        warnOnce(`telemetry flush failed: ${error instanceof Error ? error.message : String(error)}`, 'flush')
      }
    },
  }
}
