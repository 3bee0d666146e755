import type { AttributeValue, Attributes } from '@opentelemetry/api'

/** Caps on what one span may hold, with the names of the spec's env variables. */
export interface SpanLimits {
  /** `OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT`, default 128. */
  attributeCount: number
  /** `OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT`, default unlimited. */
  attributeValueLength: number
  /** `OTEL_SPAN_EVENT_COUNT_LIMIT`, default 128. */
  eventCount: number
  /** `OTEL_SPAN_LINK_COUNT_LIMIT`, default 128. */
  linkCount: number
}

export const defaultSpanLimits: SpanLimits = {
  attributeCount: 128,
  attributeValueLength: Infinity,
  eventCount: 128,
  linkCount: 128,
}

/** Cuts strings (alone or in arrays) to `max` characters. */
function truncate(value: AttributeValue, max: number): AttributeValue {
  if (typeof value === 'string') return value.length > max ? value.slice(0, max) : value
  if (Array.isArray(value)) {
    return (value as unknown[]).map((v) => (typeof v === 'string' && v.length > max ? v.slice(0, max) : v)) as AttributeValue
  }
  return value
}

/** A string, finite-or-infinite number (not NaN), boolean, or a homogeneous array of them. */
function isValidValue(value: unknown): value is AttributeValue {
  const t = typeof value
  if (t === 'string' || t === 'boolean' || (t === 'number' && !Number.isNaN(value))) return true
  if (!Array.isArray(value)) return false
  for (const v of value) {
    if (v !== null && v !== undefined && typeof v !== typeof value[0]) return false
  }
  return true
}

/**
 * Sets `value` on `target` (which holds `count` attributes) unless it is invalid or a new key would
 * pass the count limit; cuts long strings. Returns the new count, or -1 when the limit dropped it.
 */
export function putAttribute(target: Attributes, key: string, value: unknown, limits: SpanLimits, count: number): number {
  if (!key || !isValidValue(value)) return count
  if (!(key in target)) {
    if (count >= limits.attributeCount) return -1
    count++
  }
  target[key] = limits.attributeValueLength === Infinity ? value : truncate(value, limits.attributeValueLength)
  return count
}

/** A copy of `source` within the limits, with the number of attributes the count limit dropped. */
export function limitAttributes(source: Attributes | undefined, limits: SpanLimits): { attributes: Attributes; droppedAttributes: number } {
  const attributes: Attributes = {}
  let count = 0
  let droppedAttributes = 0
  for (const key in source) {
    const next = putAttribute(attributes, key, source[key], limits, count)
    if (next < 0) droppedAttributes++
    else count = next
  }
  return { attributes, droppedAttributes }
}
