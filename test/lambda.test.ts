// AWS Lambda, imitated under Node: hono/aws-lambda's `handle(app)` called with an API Gateway HTTP API
// (payload 2.0) event and a Lambda context object, as Lambda calls it, with AWS_LAMBDA_FUNCTION_NAME set
// as Lambda sets it. Lambda freezes the process once the handler returns, which Node cannot imitate:
// the test holds that every span is at the receiver by the time the handler's promise settles.
import { randomBytes } from 'node:crypto'
import { Hono } from 'hono'
import { handle } from 'hono/aws-lambda'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { type Receiver, startReceiver } from '../middleware/testing/receiver.ts'

const hex = (bytes: number) => randomBytes(bytes).toString('hex')

/** An API Gateway HTTP API event (payload format 2.0), as AWS documents it. */
function httpApiEvent(path: string, headers: Record<string, string> = {}) {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { host: 'abc123.execute-api.eu-west-1.amazonaws.com', 'user-agent': 'curl/8.5.0', ...headers },
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method: 'GET', path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.7', userAgent: 'curl/8.5.0' },
      requestId: hex(8),
      routeKey: '$default',
      stage: '$default',
      time: '26/Nov/2026:00:00:00 +0000',
      timeEpoch: 1795651200000,
    },
    isBase64Encoded: false,
  }
}

const lambdaContext = { functionName: 'orders', awsRequestId: hex(8), getRemainingTimeInMillis: () => 3000 }

let receiver: Receiver
let library: typeof import('../middleware/index.ts')

beforeAll(async () => {
  receiver = await startReceiver()
  process.env.AWS_LAMBDA_FUNCTION_NAME = 'orders'
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url
  library = await import('../middleware/index.ts')
})

afterAll(async () => {
  delete process.env.AWS_LAMBDA_FUNCTION_NAME
  delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT
  await receiver.close()
})

type LambdaHandler = (event: unknown, context: unknown) => Promise<{ statusCode: number; body: string }>

function lambdaApp() {
  const app = new Hono()
  app.use(library.otelAnywhere({ serviceName: 'orders' }))
  app.get('/orders/:id', (c) => c.json({ id: c.req.param('id') }))
  return app
}

describe('on AWS Lambda (hono/aws-lambda, imitated under Node)', () => {
  it('exports before the wrapped handler returns: the spans and metrics are at the receiver when it resolves', async () => {
    const handler = library.instrumentLambda(handle(lambdaApp()) as LambdaHandler)
    const traceId = hex(16)
    const parentId = hex(8)
    const result = await handler(httpApiEvent('/orders/7', { traceparent: `00-${traceId}-${parentId}-01` }), lambdaContext)
    expect(result.statusCode).toBe(200)
    expect(JSON.parse(result.body)).toEqual({ id: '7' })
    // No waiting: the handler's promise settled after the export was answered.
    const span = receiver.spans.find((s) => s.traceId === traceId)
    expect(span?.name).toBe('GET /orders/:id')
    expect(span?.parentSpanId).toBe(parentId)
    expect(span?.resource['cloud.provider']).toBe('aws')
    expect(span?.resource['cloud.platform']).toBe('aws_lambda')
    expect(span?.resource['process.runtime.name']).toBe('nodejs')
    const durations = receiver.metrics.filter((m) => m.name === 'http.server.request.duration').flatMap((m) => m.points)
    expect(durations.reduce((n, p) => n + (p.count ?? 0), 0)).toBe(1)
  })

  it('says once how to wrap the handler when it is not wrapped, and the response is unchanged', async () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {})
    try {
      const handler = handle(lambdaApp()) as LambdaHandler
      const result = await handler(httpApiEvent('/orders/8'), lambdaContext)
      await handler(httpApiEvent('/orders/9'), lambdaContext)
      expect(result.statusCode).toBe(200)
      const messages = warn.mock.calls.map((c) => String(c[0])).filter((m) => m.includes('instrumentLambda'))
      expect(messages).toEqual([expect.stringContaining('wrap the handler in instrumentLambda(handle(app))')])
    } finally {
      warn.mockRestore()
    }
  })
})
