import type { SpanContext } from '@opentelemetry/api'
import { FLAG_SAMPLED } from '../api-values.ts'

/** The `OTEL_TRACES_SAMPLER` values an edge function can honour (the spec's six built-in ones). */
export type SamplerName =
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio'
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
export const SAMPLER_NAMES: readonly SamplerName[] = [
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
  'always_on',
  'always_off',
  'traceidratio',
]

/** Decides at span start whether the span is sampled, given its parent (if any) and its trace id. */
export type Sampler = (parent: SpanContext | undefined, traceId: string) => boolean

/**
 * The rejection threshold T = (1 - ratio) * 2^56 of the OpenTelemetry consistent-probability spec,
 * as 14 hex digits; undefined when the ratio rounds to 0 (nothing is sampled).
 */
export function threshold(ratio: number): string | undefined {
  const t = Math.round((1 - ratio) * 2 ** 56)
  return t < 2 ** 56 ? t.toString(16).padStart(14, '0') : undefined
}

/**
 * True when a trace's randomness (the low 56 bits of its id, W3C Trace Context Level 2) reaches the
 * threshold: R >= T, compared exactly as hex strings. Every function that sees the trace id decides
 * the same, and a trace kept at one ratio is kept at every higher ratio.
 */
export const inSample = (traceId: string, t: string | undefined): boolean => t !== undefined && traceId.slice(18) >= t

/**
 * The sampler `OTEL_TRACES_SAMPLER` names. `ratio` is `OTEL_TRACES_SAMPLER_ARG`, used by the
 * `traceidratio` ones. The `parentbased_*` ones follow the parent's sampled flag when there is a parent.
 */
export function createSampler(name: SamplerName, ratio: number): Sampler {
  const t = threshold(name.endsWith('on') ? 1 : name.endsWith('off') ? 0 : ratio)
  const parentBased = name.startsWith('p')
  return (parent, traceId) => (parent && parentBased ? (parent.traceFlags & FLAG_SAMPLED) === FLAG_SAMPLED : inSample(traceId, t))
}
