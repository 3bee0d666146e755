export { otel, type OtelMiddlewareOptions } from './hono/otel.ts'
export { instrumentFetch, type FetchLike } from './workers/fetch.ts'
export { instrumentEnv } from './workers/bindings/index.ts'
export type { FlushableProvider, OtelOptions } from './runtime/config.ts'
export type { JsonEncoding, OtlpPayload, OtlpProtocol, SendResult, Signal, Transport } from './exporter/export.ts'
export type { TemporalityPreference } from './sdk/metrics/metrics.ts'
export type { SamplerName } from './sdk/trace/sampling.ts'
export { replayTelemetry, type ReplayBatch } from './workers/replay.ts'
export type { SpilledPayload } from './exporter/spill.ts'
export { otlpJson } from './exporter/json/encode.ts'
export {
  instrumentQueue,
  instrumentQueueHandler,
  type QueueHandlerOptions,
  type QueueLike,
  type QueueMessage,
  type TracedEnvelope,
} from './workers/queue.ts'
export { instrumentScheduled, type Controller as ScheduledController } from './workers/scheduled.ts'
export type { ExecutionContextLike, HandlerOptions } from './workers/invocation.ts'
export { traceResponse, type TraceResponseOptions } from './hono/response-headers.ts'
export { captureConsole, log, type Severity } from './runtime/logs.ts'
export { TailSampler, tailSampling, type TailSamplingOptions } from './runtime/tail-sampling.ts'
export { otelAnywhere, type AnywhereOptions } from './hono/anywhere.ts'
export { flushTelemetry, instrumentLambda } from './runtime/flush.ts'
export type { WaitUntil } from './runtime/platform.ts'
export { instrumentDurableObject, type InstrumentableDurableObject } from './workers/durable-object.ts'
export { instrumentEntrypoint, type InstrumentableEntrypoint } from './workers/entrypoint.ts'
export { instrumentWorkflow, instrumentWorkflowBinding, type InstrumentableWorkflow, type WorkflowLike } from './workers/workflow.ts'
export { instrumentEmail, type EmailHandlerOptions, type EmailMessageLike } from './workers/email.ts'
export { registerTelemetry } from './runtime/telemetry.ts'
import { telemetry } from './runtime/telemetry.ts'
/** The isolate's telemetry runtime, for `edge-otel/testing` only: not an API, and it changes without notice. */
export const internalTelemetry: unknown = telemetry
