import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { TYPES } from '../middleware/testing/decode.ts'
import { startInlineReceivers, startReceiverProcess } from './receivers.ts'

const id = (bytes: number, fill: number) => Buffer.alloc(bytes, fill).toString('base64')
const traces = TYPES.traces
  .encode(
    TYPES.traces.fromObject({
      resourceSpans: [{ scopeSpans: [{ spans: [1, 2].map((n) => ({ traceId: id(16, n), spanId: id(8, n), name: `span ${n}`, kind: 2, startTimeUnixNano: '1', endTimeUnixNano: '2' })) }] }],
    }),
  )
  .finish()
const metrics = JSON.stringify({
  resourceMetrics: [
    {
      scopeMetrics: [
        {
          metrics: [
            { name: 'http.server.request.duration', unit: 's', histogram: { aggregationTemporality: 1, dataPoints: [{ count: '3', sum: 0.1 }, { count: '2', sum: 0.1 }] } },
            { name: 'faas.invocations', sum: { aggregationTemporality: 1, isMonotonic: true, dataPoints: [{ asInt: '5' }] } },
          ],
        },
      ],
    },
  ],
})

describe.each([
  ['in a child process', startReceiverProcess],
  ['in this process', startInlineReceivers],
])('receivers %s', (_, start) => {
  it('count each variant\'s exports apart: POSTs, bytes as sent, spans and request-duration points', async () => {
    const receivers = await start(2)
    try {
      const body = gzipSync(traces)
      const sent = await fetch(`${receivers.urls[1]}/v1/traces`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-protobuf', 'content-encoding': 'gzip' },
        body,
      })
      expect(sent.status).toBe(200)
      const json = await fetch(`${receivers.urls[1]}/v1/metrics`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: metrics })
      expect(json.status).toBe(200)
      await receivers.idle(50)
      const [first, second] = await receivers.counts()
      expect(first).toEqual({ posts: 0, wireBytes: 0, spans: 0, logs: 0, serverPoints: 0, rejected: 0 })
      expect(second).toEqual({ posts: 2, wireBytes: body.length + Buffer.byteLength(metrics), spans: 2, logs: 0, serverPoints: 5, rejected: 0 })
      // Totals keep growing across readings.
      await fetch(`${receivers.urls[1]}/v1/traces`, { method: 'POST', headers: { 'content-type': 'application/x-protobuf' }, body: traces })
      expect((await receivers.counts())[1]).toMatchObject({ posts: 3, spans: 4 })
    } finally {
      await receivers.close()
    }
  })
})
