import { describe, expect, it } from 'vitest'
import { newSpanId, newTraceId } from './ids.ts'

describe('ids', () => {
  it('are lowercase hex of the W3C lengths, and differ', () => {
    const traces = new Set(Array.from({ length: 2000 }, newTraceId))
    const spans = new Set(Array.from({ length: 2000 }, newSpanId))
    expect(traces.size).toBe(2000)
    expect(spans.size).toBe(2000)
    for (const id of traces) expect(id).toMatch(/^[0-9a-f]{32}$/)
    for (const id of spans) expect(id).toMatch(/^[0-9a-f]{16}$/)
  })

  it('use every hex digit in every position over many draws', () => {
    const ids = Array.from({ length: 4000 }, newTraceId)
    for (let position = 0; position < 32; position++) {
      expect(new Set(ids.map((id) => id[position])).size).toBe(16)
    }
  })
})
