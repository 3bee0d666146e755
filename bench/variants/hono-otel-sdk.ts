// @hono/otel with the OpenTelemetry JS SDK 3.x, set up the way a Workers user would:
// BatchSpanProcessor + OTLP/HTTP exporter, flushed in waitUntil at the end of each request.
// With WITH_METRICS, a MeterProvider whose reader is flushed the same way (its timer is parked).
import { context, metrics, trace } from '@opentelemetry/api'
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks'
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import { MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics'
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace'
import { httpInstrumentationMiddleware } from '@hono/otel'
import { Hono } from 'hono'

declare const WITH_METRICS: boolean

type Env = { RECEIVER_URL: string }
let providers: { tracer: TracerProvider; meter?: MeterProvider } | undefined

function setup(env: Env) {
  const resource = resourceFromAttributes({ 'service.name': 'bench' })
  const tracer = new TracerProvider({
    resource,
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: `${env.RECEIVER_URL}/v1/traces` }) })],
  })
  context.setGlobalContextManager(new AsyncLocalStorageContextManager())
  trace.setGlobalTracerProvider(tracer)
  let meter: MeterProvider | undefined
  if (WITH_METRICS) {
    meter = new MeterProvider({
      resource,
      readers: [
        new PeriodicExportingMetricReader({
          exporter: new OTLPMetricExporter({ url: `${env.RECEIVER_URL}/v1/metrics` }),
          exportIntervalMillis: 3_600_000,
        }),
      ],
    })
    metrics.setGlobalMeterProvider(meter)
  }
  return { tracer, meter }
}

const app = new Hono<{ Bindings: Env }>()
app.use(async (c, next) => {
  providers ??= setup(c.env)
  await next()
  c.executionCtx.waitUntil(Promise.all([providers.tracer.forceFlush(), providers.meter?.forceFlush()]))
})
app.use(httpInstrumentationMiddleware({ serviceName: 'bench' }))
app.get('/hello/:param', (c) => c.text(`Hello ${c.req.param('param')}`))
export default app
