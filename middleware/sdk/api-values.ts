import type { SpanKind, SpanStatusCode, TraceFlags, ValueType } from '@opentelemetry/api'

// The values of the `@opentelemetry/api` enums the core uses, as constants. Importing the enums
// themselves would put their runtime objects into every worker's bundle; these are inlined.

export const KIND_INTERNAL = 0 as SpanKind.INTERNAL
export const KIND_SERVER = 1 as SpanKind.SERVER
export const KIND_CLIENT = 2 as SpanKind.CLIENT
export const KIND_PRODUCER = 3 as SpanKind.PRODUCER
export const KIND_CONSUMER = 4 as SpanKind.CONSUMER

export const STATUS_UNSET = 0 as SpanStatusCode.UNSET
export const STATUS_OK = 1 as SpanStatusCode.OK
export const STATUS_ERROR = 2 as SpanStatusCode.ERROR

export const VALUE_INT = 0 as ValueType.INT
export const VALUE_DOUBLE = 1 as ValueType.DOUBLE

export const FLAG_SAMPLED = 1 as TraceFlags.SAMPLED
