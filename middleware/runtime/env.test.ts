import { describe, expect, it } from 'vitest'
import { oneOf, read, readSwitch, resolveLimit } from './env.ts'

describe('env settings', () => {
  it('reads a string binding trimmed, and nothing for blanks and non-strings', () => {
    const env = { A: '  x ', B: '   ', C: 5, D: { secret: true } }
    expect([read(env, 'A'), read(env, 'B'), read(env, 'C'), read(env, 'D'), read(undefined, 'A')]).toEqual(['x', undefined, undefined, undefined, undefined])
  })

  it('takes one of a fixed set, or names the setting, what it got and the choices', () => {
    const problems: string[] = []
    expect(oneOf('on', 'SWITCH', ['on', 'off'], 'off', problems)).toBe('on')
    expect(oneOf(undefined, 'SWITCH', ['on', 'off'], 'off', problems)).toBe('off')
    expect(oneOf('maybe', 'SWITCH', ['on', 'off'], 'off', problems, ' (it is a switch)')).toBe('off')
    expect(problems).toEqual(['SWITCH="maybe" is not supported (it is a switch); using "off". Set it to one of "on", "off".'])
  })

  it('reads a true/false switch in any case, off unless set, and names the setting for anything else', () => {
    const problems: string[] = []
    const env = { ON: 'TRUE', OFF: 'false', YES: 'yes' }
    expect(['ON', 'OFF', 'YES', 'MISSING'].map((name) => readSwitch(env, name, problems))).toEqual([true, false, false, false])
    expect(problems).toEqual(['YES="yes" is not supported; using "false". Set it to one of "true", "false".'])
  })

  it('takes a non-negative integer, or names the setting and the default it used', () => {
    const problems: string[] = []
    const env = { GOOD: '250', NEGATIVE: '-1', FRACTION: '1.5', WORD: 'soon' }
    expect(['GOOD', 'NEGATIVE', 'FRACTION', 'WORD', 'MISSING'].map((name) => resolveLimit(env, name, 7, problems))).toEqual([250, 7, 7, 7, 7])
    expect(problems).toEqual([
      'NEGATIVE="-1" is not a non-negative integer; using 7.',
      'FRACTION="1.5" is not a non-negative integer; using 7.',
      'WORD="soon" is not a non-negative integer; using 7.',
    ])
  })
})
