import { describe, expect, it } from 'vitest'
import { sanitizeSql } from './d1.ts'

describe('sanitizeSql', () => {
  it('keeps placeholders and identifiers, and replaces literal values by ?', () => {
    expect(sanitizeSql('SELECT id FROM orders WHERE id = ? AND sku = ?2 AND name = :name')).toBe(
      'SELECT id FROM orders WHERE id = ? AND sku = ?2 AND name = :name',
    )
    expect(sanitizeSql("SELECT * FROM t1 WHERE email = 'a@b.c' AND age > 42 AND score < 1.5e3 LIMIT 10")).toBe(
      'SELECT * FROM t1 WHERE email = ? AND age > ? AND score < ? LIMIT ?',
    )
    expect(sanitizeSql("INSERT INTO notes VALUES ('it''s secret')")).toBe('INSERT INTO notes VALUES (?)')
  })
})
