export { otel, type OtelMiddlewareOptions } from './otel.ts'
export { instrumentEnv, instrumentFetch, type FetchLike } from './fetch.ts'
export type { OtelOptions, OtlpProtocol } from './config.ts'
export type { JsonEncoding, OtlpPayload, SendResult, Signal, Transport } from './export.ts'
export type { TemporalityPreference } from './metrics.ts'
export type { SamplerName } from './sampling.ts'
export { replayTelemetry, type ReplayBatch } from './replay.ts'
export type { SpilledPayload } from './spill.ts'
export { otlpJson } from './otlp-json.ts'
export {
  instrumentQueue,
  instrumentQueueHandler,
  type QueueHandlerOptions,
  type QueueLike,
  type QueueMessage,
  type TracedEnvelope,
} from './queue.ts'
export { instrumentScheduled, type Controller as ScheduledController } from './scheduled.ts'
export { traceResponse, type TraceResponseOptions } from './response-headers.ts'
export { captureConsole, log, type Severity } from './logs.ts'
export { TailSampler, tailSampling, type TailSamplingOptions } from './tail-sampling.ts'
