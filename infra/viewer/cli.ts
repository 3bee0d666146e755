// `npx edge-otel-viewer`: the local trace viewer for any project. It listens where a collector
// would (127.0.0.1:4318), so a project points OTEL_EXPORTER_OTLP_ENDPOINT at it and opens the page.
import { parseArgs } from 'node:util'
import { startViewer } from './viewer.ts'

const USAGE = `Usage: edge-otel-viewer [--port 4318] [--host 127.0.0.1] [--max-traces 1000]

A local OTLP/HTTP receiver with a web page of the traces and request metrics it receives.
Point your functions at it with OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:4318 and open that address.`

function fail(message: string): never {
  console.error(`edge-otel-viewer: ${message}\n\n${USAGE}`)
  process.exit(2)
}

function wholeNumber(flag: string, value: string, min: number, max: number, example: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || n < min || n > max) fail(`--${flag} must be a whole number from ${min} to ${max}, got "${value}". For example: --${flag} ${example}`)
  return n
}

function readArgs() {
  try {
    return parseArgs({
      options: {
        port: { type: 'string', default: '4318' },
        host: { type: 'string', default: '127.0.0.1' },
        'max-traces': { type: 'string', default: '1000' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values
  } catch (error) {
    fail((error as Error).message)
  }
}

const args = readArgs()
if (args.help) {
  console.log(USAGE)
  process.exit(0)
}
const port = wholeNumber('port', args.port!, 0, 65535, '4319')
const maxTraces = wholeNumber('max-traces', args['max-traces']!, 1, 1_000_000, '500')

const viewer = await startViewer({
  host: args.host,
  port,
  maxTraces,
  onTraceLine: (line) => console.log(line),
  color: process.stdout.isTTY,
  onWarning: (message) => console.warn(message),
}).catch((error: NodeJS.ErrnoException) => {
  if (error.code === 'EADDRINUSE') fail(`port ${port} on ${args.host} is taken (a collector, or another viewer?). Stop it, or pass --port 4319 and set OTEL_EXPORTER_OTLP_ENDPOINT to match.`)
  fail(`could not listen on ${args.host}:${port}: ${error.message}`)
})

console.log(`edge-otel viewer: ${viewer.url}/
  send telemetry here: OTEL_EXPORTER_OTLP_ENDPOINT=${viewer.url}
  keeps the last ${maxTraces} traces in memory; Ctrl-C stops it`)

const stop = async () => {
  await viewer.close()
  process.exit(0)
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
