import { describe, expect, it } from 'vitest'
import { redactQuery, redactUrl, sensitiveKeys } from './redact.ts'

const keys = sensitiveKeys(['session', 'api_key'])

describe('redaction', () => {
  it('replaces the values of sensitive query parameters and keeps the rest as sent', () => {
    expect(redactQuery('q=shoes&token=abc&Signature=x%2Fy&page=2&SESSION=s1', keys)).toBe('q=shoes&token=REDACTED&Signature=REDACTED&page=2&SESSION=REDACTED')
    expect(redactQuery('flag&api%5Fkey=1', keys)).toBe('flag&api%5Fkey=REDACTED')
    expect(redactQuery('', keys)).toBe('')
  })

  it('removes credentials from URLs and redacts their query', () => {
    expect(redactUrl('https://user:pw@api.test/p?sig=1&x=2', keys)).toBe('https://REDACTED:REDACTED@api.test/p?sig=REDACTED&x=2')
    expect(redactUrl('https://api.test/p', keys)).toBe('https://api.test/p')
    expect(redactUrl('not a url', keys)).toBe('not a url')
  })
})
