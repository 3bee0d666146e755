import { trace } from '@opentelemetry/api'
import { beforeEach, describe, expect, it } from 'vitest'
import { DecodingTransport, executionContext } from '../../test/decoding-transport.ts'
import { telemetry } from '../runtime/telemetry.ts'
import { instrumentEmail } from './email.ts'

const ENV = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' }
const message = { from: 'shop@example.com', to: 'orders@example.com', rawSize: 1234 }
let transport: DecodingTransport

beforeEach(() => {
  telemetry.reset()
  transport = new DecodingTransport()
})

async function deliver(options: Parameters<typeof instrumentEmail>[1], handler: () => void = () => {}) {
  const email = instrumentEmail(handler, { transport, instrumentGlobalFetch: false, ...options })
  const { ctx, pending } = executionContext()
  const delivered = email(message, ENV, ctx)
  await delivered.catch(() => {})
  await Promise.all(pending)
  return delivered
}

describe('instrumentEmail', () => {
  it('traces the handler as a root email span with faas.trigger=other and the raw size, and no addresses', async () => {
    let active = false
    await deliver({}, () => void (active = trace.getActiveSpan() !== undefined))
    expect(active).toBe(true)
    expect(transport.spans).toHaveLength(1)
    expect(transport.spans[0]).toMatchObject({ name: 'email', kind: 2, attributes: { 'faas.trigger': 'other', 'cloudflare.email.size': 1234 } })
    expect(JSON.stringify(transport.spans[0].attributes)).not.toContain('example.com')
  })

  it('records the addresses only when asked to', async () => {
    await deliver({ recordAddresses: true })
    expect(transport.spans[0].attributes).toMatchObject({ 'cloudflare.email.from': 'shop@example.com', 'cloudflare.email.to': 'orders@example.com' })
  })

  it('rethrows what the handler threw, after recording it', async () => {
    const rejected = deliver({}, () => {
      throw new RangeError('mailbox full')
    })
    await expect(rejected).rejects.toThrow('mailbox full')
    expect(transport.spans[0]).toMatchObject({ status: { code: 2 }, attributes: expect.objectContaining({ 'error.type': 'RangeError' }) })
  })
})
