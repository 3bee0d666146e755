import { SpanKind, SpanStatusCode, TraceFlags, ValueType } from '@opentelemetry/api'
import { expect, it } from 'vitest'
import * as values from './api-values.ts'

it('matches the @opentelemetry/api enums', () => {
  expect([values.KIND_INTERNAL, values.KIND_SERVER, values.KIND_CLIENT, values.KIND_PRODUCER, values.KIND_CONSUMER]).toEqual([
    SpanKind.INTERNAL,
    SpanKind.SERVER,
    SpanKind.CLIENT,
    SpanKind.PRODUCER,
    SpanKind.CONSUMER,
  ])
  expect([values.STATUS_UNSET, values.STATUS_OK, values.STATUS_ERROR]).toEqual([SpanStatusCode.UNSET, SpanStatusCode.OK, SpanStatusCode.ERROR])
  expect([values.VALUE_INT, values.VALUE_DOUBLE]).toEqual([ValueType.INT, ValueType.DOUBLE])
  expect(values.FLAG_SAMPLED).toBe(TraceFlags.SAMPLED)
})
