// The structural SDK types of `edge-otel/sdk` against the SDK's own (@opentelemetry/sdk-trace and
// sdk-metrics 3.x, the versions the official OTLP exporters 0.301 use), checked by TypeScript both ways.
import { execFile } from 'node:child_process'
import { join, resolve } from 'node:path'
import { promisify } from 'node:util'
import { expect, it } from 'vitest'

const ROOT = resolve(import.meta.dirname, '..')

it('SDK exporters and processors fit sdkExporters(), and its spans and metrics fit the SDK types', async () => {
  const tsc = await promisify(execFile)(process.execPath, [
    join(ROOT, 'node_modules/typescript/bin/tsc'), '--ignoreConfig', join(ROOT, 'test/fixtures/sdk-types.ts'),
    '--noEmit', '--strict', '--skipLibCheck', '--target', 'es2022', '--module', 'esnext', '--moduleResolution', 'bundler',
    '--lib', 'es2023', '--types', '@cloudflare/workers-types,@types/node', '--allowImportingTsExtensions',
  ]).then(() => ({ code: 0, output: '' }), (error: { code: number; stdout: string }) => ({ code: error.code, output: error.stdout }))
  expect(tsc.output).toBe('')
  expect(tsc.code).toBe(0)
}, 60_000)
