import { describe, expect, it } from 'vitest'
import { defaultSpanLimits, limitAttributes, putAttribute } from './limits.ts'

describe('span limits', () => {
  it('sets valid values, skips invalid ones, and counts new keys only', () => {
    const target = {}
    let count = 0
    count = putAttribute(target, 'a', 'x', defaultSpanLimits, count)
    count = putAttribute(target, 'a', 'y', defaultSpanLimits, count)
    for (const bad of [NaN, { nested: true }, ['mixed', 1], undefined, null]) count = putAttribute(target, 'bad', bad, defaultSpanLimits, count)
    count = putAttribute(target, '', 'empty key', defaultSpanLimits, count)
    count = putAttribute(target, 'list', ['p', null, 'q'], defaultSpanLimits, count)
    expect(target).toEqual({ a: 'y', list: ['p', null, 'q'] })
    expect(count).toBe(2)
  })

  it('drops new keys past the count limit (-1) and cuts long strings, alone or in arrays', () => {
    const limits = { ...defaultSpanLimits, attributeCount: 2, attributeValueLength: 3 }
    const target = {}
    let count = putAttribute(target, 'a', 'abcdef', limits, 0)
    count = putAttribute(target, 'b', ['abcdef', 'xy'], limits, count)
    expect(putAttribute(target, 'c', 'over', limits, count)).toBe(-1)
    expect(putAttribute(target, 'a', 'replaced', limits, count)).toBe(2)
    expect(target).toEqual({ a: 'rep', b: ['abc', 'xy'] })
  })

  it('copies a set within the limits, counting what the count limit dropped', () => {
    const { attributes, droppedAttributes } = limitAttributes({ a: 1, b: NaN, c: 'long value', d: true }, { ...defaultSpanLimits, attributeCount: 2, attributeValueLength: 4 })
    expect(attributes).toEqual({ a: 1, c: 'long' })
    expect(droppedAttributes).toBe(1)
  })
})
