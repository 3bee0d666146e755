import { ROOT_CONTEXT, propagation, trace } from '@opentelemetry/api'
import { describe, expect, it } from 'vitest'
import { W3CPropagator, formatBaggage, formatTraceparent, parseBaggage, parseTraceparent, parseTracestate } from './propagation.ts'

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736'
const SPAN_ID = '00f067aa0ba902b7'
const valid = `00-${TRACE_ID}-${SPAN_ID}-01`

describe('parseTraceparent', () => {
  it('reads a valid version-00 header', () => {
    expect(parseTraceparent(valid)).toEqual({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 1, isRemote: true })
  })

  it('keeps the Level 2 random flag (0x02) and drops unknown flag bits', () => {
    expect(parseTraceparent(`00-${TRACE_ID}-${SPAN_ID}-03`)?.traceFlags).toBe(3)
    expect(parseTraceparent(`00-${TRACE_ID}-${SPAN_ID}-ff`)?.traceFlags).toBe(3)
  })

  it('trims surrounding whitespace', () => {
    expect(parseTraceparent(` \t${valid}\t `)?.traceId).toBe(TRACE_ID)
  })

  it('reads a future version by its version-00 prefix, if extra fields follow a dash', () => {
    expect(parseTraceparent(`cc-${TRACE_ID}-${SPAN_ID}-01-what-the-future-will-be-like`)?.spanId).toBe(SPAN_ID)
    expect(parseTraceparent(`cc-${TRACE_ID}-${SPAN_ID}-01`)?.spanId).toBe(SPAN_ID)
    expect(parseTraceparent(`cc-${TRACE_ID}-${SPAN_ID}-01.what-the-future-will-be-like`)).toBeUndefined()
  })

  it.each([
    ['version ff', `ff-${TRACE_ID}-${SPAN_ID}-01`],
    ['extra data on version 00', `${valid}-extra`],
    ['a trailing dot on version 00', `${valid}.`],
    ['uppercase hex', valid.toUpperCase()],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${SPAN_ID}-01`],
    ['all-zero span id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['short trace id', `00-${TRACE_ID.slice(1)}-${SPAN_ID}-01`],
    ['long span id', `00-${TRACE_ID}-${SPAN_ID}0-01`],
    ['non-hex flags', `00-${TRACE_ID}-${SPAN_ID}-0g`],
    ['non-hex version', `0g-${TRACE_ID}-${SPAN_ID}-01`],
    ['wrong separators', `00_${TRACE_ID}_${SPAN_ID}_01`],
    ['two headers joined by fetch', `${valid}, ${valid}`],
    ['empty', ''],
    ['oversized', valid + 'a'.repeat(9000)],
  ])('rejects %s', (_, header) => {
    expect(parseTraceparent(header)).toBeUndefined()
  })

  it('formats flags with the sampled and random bits only', () => {
    expect(formatTraceparent({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 0x03 })).toBe(`00-${TRACE_ID}-${SPAN_ID}-03`)
    expect(formatTraceparent({ traceId: TRACE_ID, spanId: SPAN_ID, traceFlags: 0x00 })).toBe(`00-${TRACE_ID}-${SPAN_ID}-00`)
  })
})

describe('parseTracestate', () => {
  it('keeps valid members in order, skipping empty ones and whitespace', () => {
    expect(parseTracestate('rojo=00f067aa0ba902b7, ,congo=t61rcWkgMzE\t')?.serialize()).toBe('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE')
  })

  it('accepts keys by the Level 2 grammar: a letter or digit first, then letters, digits, _ - * / @', () => {
    const header = 'tenant@vendor=1,a*b/c_d-e=2,0tenant@sys=3,1abc=4,@x@y=5'.replace(',@x@y=5', '')
    expect(parseTracestate(header)?.serialize()).toBe(header)
    expect(parseTracestate(`${'k'.repeat(256)}=1`)?.serialize()).toBe(`${'k'.repeat(256)}=1`)
  })

  it('keeps the first value of a repeated key', () => {
    expect(parseTracestate('rojo=1,congo=2,rojo=3')?.serialize()).toBe('rojo=1,congo=2')
  })

  it('accepts 32 members and discards the whole header at 33', () => {
    const members = (n: number) => Array.from({ length: n }, (_, i) => `k${i}=v`).join(',')
    expect(parseTracestate(members(32))?.serialize().split(',')).toHaveLength(32)
    expect(parseTracestate(members(33))).toBeUndefined()
  })

  it.each([
    ['an invalid key among valid ones', 'rojo=1,Bad=2,congo=3'],
    ['a member without =', 'rojo=1,congo'],
    ['a value with a comma-free illegal char', 'rojo=a=b'],
    ['a control character in a value', 'rojo=1\u0000,x=y'],
    ['a key longer than 256 characters', `${'k'.repeat(257)}=1`],
    ['a key starting with @', '@vendor=1'],
    ['an uppercase key', 'Rojo=1'],
  ])('discards the whole header for %s', (_, header) => {
    expect(parseTracestate(header)).toBeUndefined()
  })
  it('ignores a set() with an invalid key or value, as the API spec asks of every mutation', () => {
    const state = parseTracestate('rojo=1')!
    expect(state.set('Bad Key', 'x').serialize()).toBe('rojo=1')
    expect(state.set('congo', 'a,b').serialize()).toBe('rojo=1')
    expect(state.set('congo', 'ok').serialize()).toBe('congo=ok,rojo=1')
  })
})

describe('baggage', () => {
  it('parses members with percent-encoded values and properties', () => {
    const entries = parseBaggage('userId=alice, serverNode = DF%2028 ,isProduction=false;ttl=60')!
    expect(entries.userId.value).toBe('alice')
    expect(entries.serverNode.value).toBe('DF 28')
    expect(entries.isProduction.value).toBe('false')
    expect(entries.isProduction.metadata?.toString()).toBe('ttl=60')
  })

  it('skips invalid members one by one', () => {
    const entries = parseBaggage('good=1,bad key=2,=3,worse=%E0%A4%A,fine=4')!
    expect(Object.keys(entries)).toEqual(['good', 'fine'])
  })

  it('keeps a member whose escapes are not UTF-8, each bad sequence replaced by U+FFFD', () => {
    const entries = parseBaggage('k=%FF,mixed=caf%C3%A9%FF%E2%82,ok=%E2%82%AC')!
    expect(entries.k.value).toBe('\uFFFD')
    expect(entries.mixed.value).toBe('café\uFFFD\uFFFD')
    expect(entries.ok.value).toBe('€')
  })

  it('never keeps a member cut at the 8192-byte limit', () => {
    const header = `a=${'x'.repeat(5000)},b=${'y'.repeat(5000)}`
    expect(Object.keys(parseBaggage(header)!)).toEqual(['a'])
  })

  it('serializes with percent-encoding and leaves out what does not fit', () => {
    const baggage = propagation.createBaggage({ plan: { value: 'pro plus' }, big: { value: 'z'.repeat(9000) } })
    expect(formatBaggage(baggage)).toBe('plan=pro%20plus')
  })
})

describe('W3CPropagator', () => {
  const propagator = new W3CPropagator()
  const getter = { keys: (c: Record<string, string>) => Object.keys(c), get: (c: Record<string, string>, k: string) => c[k] }
  const setter = { set: (c: Record<string, string>, k: string, v: string) => void (c[k] = v) }

  it('round-trips traceparent, tracestate and baggage', () => {
    const ctx = propagator.extract(ROOT_CONTEXT, { traceparent: valid, tracestate: 'rojo=1', baggage: 'k=v' }, getter)
    const out: Record<string, string> = {}
    propagator.inject(ctx, out, setter)
    expect(out).toEqual({ traceparent: valid, tracestate: 'rojo=1', baggage: 'k=v' })
  })

  it('ignores tracestate when traceparent is invalid', () => {
    const ctx = propagator.extract(ROOT_CONTEXT, { traceparent: 'nope', tracestate: 'rojo=1' }, getter)
    expect(trace.getSpanContext(ctx)).toBeUndefined()
  })

  it('keeps the trace but drops an invalid tracestate', () => {
    const ctx = propagator.extract(ROOT_CONTEXT, { traceparent: valid, tracestate: 'rojo=1,Bad=2' }, getter)
    expect(trace.getSpanContext(ctx)?.traceId).toBe(TRACE_ID)
    expect(trace.getSpanContext(ctx)?.traceState).toBeUndefined()
  })

  it('never throws on hostile input', () => {
    const hostile = ['\u0000', '%', 'a'.repeat(100_000), ',,,,', '=;=;=', '00-' + '-'.repeat(60)]
    for (const value of hostile) {
      expect(() => propagator.extract(ROOT_CONTEXT, { traceparent: value, tracestate: value, baggage: value }, getter)).not.toThrow()
    }
  })

  it('names its fields', () => {
    expect(propagator.fields()).toEqual(['traceparent', 'tracestate', 'baggage'])
  })
})
