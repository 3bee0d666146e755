// `npm run dev`: the three example functions under `wrangler dev`, plus a local OTLP receiver
// that prints each trace and the request metrics. If OTEL_EXPORTER_OTLP_ENDPOINT is set in the
// shell, telemetry goes there instead and no receiver starts.
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { watchLibrary } from '../middleware/build.ts'
import { formatMetrics, formatSpans } from './receiver/print.ts'
import { startReceiver } from './receiver/server.ts'

const CONFIGS = ['wrangler.toml', 'functions/orders/wrangler.toml', 'functions/inventory/wrangler.toml', 'functions/fulfillment/wrangler.toml']
const RECEIVER_PORT = Number(process.env.RECEIVER_PORT ?? 4318)

let endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT
let receiver: Awaited<ReturnType<typeof startReceiver>> | undefined
if (endpoint) {
  console.log(`[dev] exporting to OTEL_EXPORTER_OTLP_ENDPOINT=${endpoint}`)
} else {
  receiver = await startReceiver({
    port: RECEIVER_PORT,
    onSpans: (spans) => console.log(formatSpans(spans)),
    onMetrics: (metrics) => console.log(formatMetrics(metrics)),
  })
  endpoint = receiver.url
  console.log(`[dev] local OTLP receiver on ${endpoint}: traces and metrics are printed here`)
}

// The functions import `edge-otel` from its build; rebuilt on every change, and wrangler reloads.
const stopWatching = await watchLibrary()

const wrangler = fileURLToPath(new URL('../node_modules/wrangler/bin/wrangler.js', import.meta.url))
const child = spawn(process.execPath, [wrangler, 'dev', ...CONFIGS.flatMap((c) => ['-c', c]), ...process.argv.slice(2)], {
  stdio: 'inherit',
  env: {
    ...process.env,
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    W3C_TEST_SERVICE: process.env.W3C_TEST_SERVICE ?? 'on',
    // Resolve the ESM builds of dependencies, so they tree-shake (see docs/performance.md).
    WRANGLER_BUILD_CONDITIONS: process.env.WRANGLER_BUILD_CONDITIONS ?? 'workerd,worker,browser,module',
  },
})

const stop = () => child.kill('SIGTERM')
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
child.on('exit', async (code) => {
  await receiver?.close()
  await stopWatching()
  process.exit(code ?? 0)
})
