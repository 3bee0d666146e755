import type { Attributes, UpDownCounter } from '@opentelemetry/api'
import { describe, expect, it } from 'vitest'
import { ActiveRequests } from './active-requests.ts'

/** An UpDownCounter that keeps its running sum per attribute set. */
function gauge() {
  const sums = new Map<string, number>()
  const counter: UpDownCounter = { add: (value: number, attributes?: Attributes) => void sums.set(JSON.stringify(attributes), (sums.get(JSON.stringify(attributes)) ?? 0) + value) }
  return { counter, sums }
}

describe('ActiveRequests', () => {
  it('counts each request once up and once down, however often it is ended', () => {
    const { counter, sums } = gauge()
    const active = new ActiveRequests(() => counter)
    const a = {}
    const b = {}
    active.start(a, { 'http.request.method': 'GET' })
    active.start(b, { 'http.request.method': 'POST' })
    expect([...sums.values()]).toEqual([1, 1])
    expect(active.end(a)).toBe(true)
    expect(active.end(a)).toBe(false)
    expect(active.end({})).toBe(false)
    expect(sums.get('{"http.request.method":"GET"}')).toBe(0)
    expect(active.size).toBe(1)
  })

  it('expires the requests older than the timeout, oldest first, and no others', () => {
    const { counter, sums } = gauge()
    const active = new ActiveRequests(() => counter)
    const attributes = { 'http.request.method': 'GET' }
    const requests = [{}, {}, {}]
    requests.forEach((r, i) => active.start(r, attributes, 1000 + i * 100))
    expect(active.expire(1150, 100)).toBe(1)
    expect(active.expire(1150, 100)).toBe(0)
    expect(sums.get(JSON.stringify(attributes))).toBe(2)
    // An expired request that ends after all is not counted down twice.
    expect(active.end(requests[0])).toBe(false)
    expect(active.expire(10_000, 100)).toBe(2)
    expect(sums.get(JSON.stringify(attributes))).toBe(0)
  })
})
