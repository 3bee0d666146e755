import { readFileSync } from 'node:fs'
import { expect, it } from 'vitest'
import { LIBRARY_NAME, LIBRARY_VERSION } from './version.ts'

it('names the library as its package.json does', () => {
  const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { name: string; version: string }
  expect({ name: LIBRARY_NAME, version: LIBRARY_VERSION }).toEqual({ name: pkg.name, version: pkg.version })
})
