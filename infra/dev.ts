// `npm run dev`: the example functions under `wrangler dev`, plus the local trace viewer: an OTLP
// receiver that serves the traces and request metrics as web pages and prints one line per trace.
// If OTEL_EXPORTER_OTLP_ENDPOINT is set in the shell, telemetry goes there instead and no viewer starts.
import { spawn, spawnSync } from 'node:child_process'
import { rmSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { watchLibrary } from '../middleware/build.ts'
import { type Viewer, startViewer } from './viewer/viewer.ts'

const CONFIGS = ['wrangler.toml', 'functions/orders/wrangler.toml', 'functions/inventory/wrangler.toml', 'functions/fulfillment/wrangler.toml']
const RECEIVER_PORT = Number(process.env.RECEIVER_PORT ?? 4318)

let endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT
let viewer: Viewer | undefined
if (endpoint) {
  console.log(`[dev] exporting to OTEL_EXPORTER_OTLP_ENDPOINT=${endpoint}`)
} else {
  viewer = await startViewer({
    port: RECEIVER_PORT,
    onTraceLine: (line) => console.log(line),
    color: process.stdout.isTTY,
    onWarning: (message) => console.warn(message),
  })
  endpoint = viewer.url
  console.log(`[dev] trace viewer on ${endpoint}/ (also the OTLP endpoint): one line per trace is printed here`)
}

// The functions import `edge-otel` from its build; rebuilt on every change, and wrangler reloads.
const stopWatching = await watchLibrary()

const wrangler = fileURLToPath(new URL('../node_modules/wrangler/bin/wrangler.js', import.meta.url))

// Every run starts a fresh shop: the orders database from functions/orders/migrations (schema and
// seed), an empty stock cache and no receipts, kept under .wrangler/dev-state while it runs.
const STATE = fileURLToPath(new URL('../.wrangler/dev-state', import.meta.url))
rmSync(STATE, { recursive: true, force: true })
const migrated = spawnSync(
  process.execPath,
  [wrangler, 'd1', 'migrations', 'apply', 'orders', '--local', '-c', 'functions/orders/wrangler.toml', '--persist-to', STATE],
  { stdio: 'inherit', env: { ...process.env, CI: 'true' } },
)
if (migrated.status !== 0) {
  console.error('[dev] could not apply functions/orders/migrations to the local D1 database')
  process.exit(1)
}

const child = spawn(process.execPath, [wrangler, 'dev', ...CONFIGS.flatMap((c) => ['-c', c]), '--persist-to', STATE, ...process.argv.slice(2)], {
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
  await viewer?.close()
  await stopWatching()
  process.exit(code ?? 0)
})
