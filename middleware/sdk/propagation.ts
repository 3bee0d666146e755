import {
  type Baggage,
  type BaggageEntry,
  type Context,
  type SpanContext,
  type TextMapGetter,
  type TextMapPropagator,
  type TextMapSetter,
  type TraceState,
  baggageEntryMetadataFromString,
  propagation,
  trace,
} from '@opentelemetry/api'

const TRACEPARENT = 'traceparent'
const TRACESTATE = 'tracestate'
const BAGGAGE = 'baggage'

const HEX_ID = /^[0-9a-f]+$/
const ALL_ZERO = /^0+$/
// Level 2 key grammar: key = ( lcalpha / DIGIT ) 0*255 ( lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@" )
const TRACESTATE_KEY = /^[a-z0-9][a-z0-9_\-*/@]{0,255}$/
const TRACESTATE_VALUE = /^[\x20-\x2b\x2d-\x3c\x3e-\x7e]{0,255}[\x21-\x2b\x2d-\x3c\x3e-\x7e]$/
const TRACESTATE_MAX_MEMBERS = 32
/** An HTTP token (RFC 9110): the grammar of header names, and of baggage keys. */
export const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/
const BAGGAGE_MAX_MEMBERS = 64
const BAGGAGE_MAX_BYTES = 8192
const OWS = /^[ \t]+|[ \t]+$/g

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value
}

/**
 * Parses a `traceparent` header by the W3C Trace Context Level 2 rules.
 * Returns undefined for anything invalid, so the caller starts a new trace.
 * Future versions are read by their version-00 prefix; version `ff` is invalid.
 */
export function parseTraceparent(header: string | undefined): SpanContext | undefined {
  if (!header) return undefined
  const value = header.replace(OWS, '')
  if (value.length < 55) return undefined
  const version = value.slice(0, 2)
  if (!HEX_ID.test(version) || version === 'ff') return undefined
  if (version === '00' ? value.length !== 55 : value.length > 55 && value[55] !== '-') return undefined
  if (value[2] !== '-' || value[35] !== '-' || value[52] !== '-') return undefined
  const traceId = value.slice(3, 35)
  const spanId = value.slice(36, 52)
  const flags = value.slice(53, 55)
  if (!HEX_ID.test(traceId) || ALL_ZERO.test(traceId)) return undefined
  if (!HEX_ID.test(spanId) || ALL_ZERO.test(spanId)) return undefined
  if (!HEX_ID.test(flags)) return undefined
  return { traceId, spanId, traceFlags: parseInt(flags, 16) & 0x03, isRemote: true }
}

/** Formats a span context as a version-00 `traceparent`, keeping the sampled and random flags. */
export function formatTraceparent(ctx: SpanContext): string {
  return `00-${ctx.traceId}-${ctx.spanId}-${(ctx.traceFlags & 0x03).toString(16).padStart(2, '0')}`
}

/** An immutable, validated W3C `tracestate` list. */
export class W3CTraceState implements TraceState {
  readonly #members: ReadonlyArray<readonly [string, string]>

  constructor(members: ReadonlyArray<readonly [string, string]> = []) {
    this.#members = members
  }

  get(key: string): string | undefined {
    return this.#members.find(([k]) => k === key)?.[1]
  }

  /** A new list with `key` first; an invalid key or value leaves the list as it is (the API spec's rule for mutations). */
  set(key: string, value: string): W3CTraceState {
    if (!TRACESTATE_KEY.test(key) || !TRACESTATE_VALUE.test(value)) return this
    const rest = this.#members.filter(([k]) => k !== key)
    const first: readonly [string, string] = [key, value]
    return new W3CTraceState([first, ...rest].slice(0, TRACESTATE_MAX_MEMBERS))
  }

  unset(key: string): W3CTraceState {
    return new W3CTraceState(this.#members.filter(([k]) => k !== key))
  }

  serialize(): string {
    return this.#members.map(([k, v]) => `${k}=${v}`).join(',')
  }
}

/**
 * Parses `tracestate`. Per the W3C text, one invalid member or more than 32 members makes the
 * whole header invalid: it is discarded, never partly kept. A repeated key keeps its first value.
 */
export function parseTracestate(header: string | undefined): W3CTraceState | undefined {
  if (!header) return undefined
  const members: [string, string][] = []
  const seen = new Set<string>()
  for (const raw of header.split(',')) {
    const member = raw.replace(OWS, '')
    if (member === '') continue
    const eq = member.indexOf('=')
    if (eq <= 0) return undefined
    const key = member.slice(0, eq)
    const value = member.slice(eq + 1)
    if (!TRACESTATE_KEY.test(key) || !TRACESTATE_VALUE.test(value)) return undefined
    // A repeated key keeps its first value, as the W3C test suite's strict mode expects.
    if (seen.has(key)) continue
    seen.add(key)
    members.push([key, value])
    if (members.length > TRACESTATE_MAX_MEMBERS) return undefined
  }
  return members.length ? new W3CTraceState(members) : undefined
}

/** A `%` not followed by two hex digits: the member is malformed. */
const MALFORMED_ESCAPE = /%(?![0-9a-fA-F]{2})/

/**
 * Percent-decodes a baggage value. Escapes that are not UTF-8 (`%FF`) become U+FFFD, as the W3C
 * Baggage spec asks, and the member is kept; a malformed escape (`%A`) makes it invalid.
 */
function decodeBaggageValue(value: string): string | undefined {
  try {
    return decodeURIComponent(value)
  } catch {
    // Baggage values are ASCII (baggage-octet), so unescape() gives one char per octet.
    return MALFORMED_ESCAPE.test(value) ? undefined : new TextDecoder().decode(Uint8Array.from(unescape(value), (c) => c.charCodeAt(0)))
  }
}

/**
 * Parses a W3C `baggage` header. Invalid members are skipped one by one; at most
 * 64 members and 8192 bytes are read.
 */
export function parseBaggage(header: string | undefined): Record<string, BaggageEntry> | undefined {
  if (!header) return undefined
  const entries: Record<string, BaggageEntry> = {}
  let count = 0
  const text = header.length > BAGGAGE_MAX_BYTES ? header.slice(0, Math.max(0, header.lastIndexOf(',', BAGGAGE_MAX_BYTES))) : header
  for (const member of text.split(',')) {
    if (count >= BAGGAGE_MAX_MEMBERS) break
    const semi = member.indexOf(';')
    const pair = semi === -1 ? member : member.slice(0, semi)
    const eq = pair.indexOf('=')
    if (eq === -1) continue
    const key = pair.slice(0, eq).replace(OWS, '')
    const value = decodeBaggageValue(pair.slice(eq + 1).replace(OWS, ''))
    if (!HTTP_TOKEN.test(key) || value === undefined) continue
    const entry: BaggageEntry = { value }
    if (semi !== -1) entry.metadata = baggageEntryMetadataFromString(member.slice(semi + 1))
    entries[key] = entry
    count++
  }
  return count ? entries : undefined
}

/** Serializes baggage, leaving out whole members that would pass the 8192-byte limit. */
export function formatBaggage(baggage: Baggage): string {
  let out = ''
  let count = 0
  for (const [key, entry] of baggage.getAllEntries()) {
    if (count >= BAGGAGE_MAX_MEMBERS || !HTTP_TOKEN.test(key)) continue
    let member = `${key}=${encodeURIComponent(entry.value)}`
    if (entry.metadata) member += `;${entry.metadata.toString()}`
    if (out.length + member.length + 1 > BAGGAGE_MAX_BYTES) continue
    out = out ? `${out},${member}` : member
    count++
  }
  return out
}

/**
 * One propagator for W3C `traceparent`, `tracestate` and `baggage`.
 * Extraction never throws: a malformed header is ignored and the trace starts fresh.
 */
export class W3CPropagator implements TextMapPropagator {
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = trace.getSpanContext(context)
    if (spanContext && trace.isSpanContextValid(spanContext)) {
      setter.set(carrier, TRACEPARENT, formatTraceparent(spanContext))
      const state = spanContext.traceState?.serialize()
      if (state) setter.set(carrier, TRACESTATE, state)
    }
    const baggage = propagation.getBaggage(context)
    if (baggage) {
      const header = formatBaggage(baggage)
      if (header) setter.set(carrier, BAGGAGE, header)
    }
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const parent = parseTraceparent(single(getter.get(carrier, TRACEPARENT)))
    if (parent) {
      const state = parseTracestate(single(getter.get(carrier, TRACESTATE)))
      if (state) parent.traceState = state
      context = trace.setSpanContext(context, parent)
    }
    const entries = parseBaggage(single(getter.get(carrier, BAGGAGE)))
    if (entries) context = propagation.setBaggage(context, propagation.createBaggage(entries))
    return context
  }

  fields(): string[] {
    return [TRACEPARENT, TRACESTATE, BAGGAGE]
  }
}

/** Reads and writes propagation fields on a `Headers` object. */
export const headersGetter: TextMapGetter<Headers> = {
  keys: (headers) => [...headers.keys()],
  get: (headers, key) => headers.get(key) ?? undefined,
}

export const headersSetter: TextMapSetter<Headers> = {
  set: (headers, key, value) => headers.set(key, value),
}
