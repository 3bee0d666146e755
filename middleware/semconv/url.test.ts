import { describe, expect, it } from 'vitest'
import { splitUrl } from './url.ts'

describe('splitUrl', () => {
  it.each([
    'http://127.0.0.1:8787/orders/7?x=1#frag',
    'https://orders/orders/7',
    'https://example.com',
    'http://[::1]:8080/a/b',
    'https://user:pw@api.test:8443/p?q',
    'http://host/%E2%9C%93/x',
  ])('agrees with URL for %s', (input) => {
    const url = new URL(input)
    expect(splitUrl(input)).toEqual({
      scheme: url.protocol.slice(0, -1),
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      query: url.search.slice(1),
    })
  })

  it('rejects what is not an absolute URL', () => {
    expect(splitUrl('/relative')).toBeUndefined()
  })
})
