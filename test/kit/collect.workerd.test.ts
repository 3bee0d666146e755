// collectTelemetry's own behaviour inside workerd (run in the inventory function's project): what
// a user meets when a request never reaches the worker, and a matcher given a malformed expectation.
import { exports } from 'cloudflare:workers'
import { collectTelemetry } from 'edge-otel/testing'
import { describe, expect, it } from 'vitest'

describe('collectTelemetry in workerd', () => {
  it('times out naming the timeout, what it waited for and what arrived', async () => {
    const error = await collectTelemetry(() => 'no request sent', { timeout: 200 }).catch((e: Error) => e)
    expect(String(error)).toMatch(/^Error: collectTelemetry timed out after 200 ms \(the timeout option\) waiting for an invocation to end/)
    expect(String(error)).toContain('What arrived:\nspans:\n  (no spans)\nmetrics:\n  (no metrics)\nlogs:\n  (no log records)')
  })

  it('collects again after a timeout, and says what is wrong with a malformed expectation', async () => {
    const telemetry = await collectTelemetry(() => exports.default.fetch('http://inventory/stock/sku-kiwi'))
    expect(telemetry.spans).toContainSpan({ name: 'GET /stock/:sku' })
    expect(() => expect(telemetry.spans).toContainSpan({ kind: 'Server' } as never)).toThrow("expectation.kind is 'Server'; expected one of 'internal', 'server'")
  })
})
