// edge-otel with the OpenTelemetry SDK's own OTLP/HTTP exporters (traces and metrics) plugged in through
// `edge-otel/sdk` in place of the built-in exporter; the same spans and metrics, flushed the same way.
import { env } from 'cloudflare:workers'
import { OTLPMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { Hono } from 'hono'
import { otel, sdkExporters } from 'edge-otel/sdk'

const receiver = (env as { RECEIVER_URL: string }).RECEIVER_URL

const app = new Hono()
app.use(
  otel({
    serviceName: 'bench',
    transport: sdkExporters({
      spanExporter: new OTLPTraceExporter({ url: `${receiver}/v1/traces` }),
      metricExporter: new OTLPMetricExporter({ url: `${receiver}/v1/metrics` }),
    }),
  }),
)
app.get('/hello/:param', (c) => c.text(`Hello ${c.req.param('param')}`))
export default app
