// `node bench/profile.ts <variant>`: a CPU profile of one bench variant serving wrk load in
// workerd, taken through the inspector, written to bench/<variant>.cpuprofile (not committed).
// Open it in Chrome DevTools. The bundle is not minified, so names read well.
import { spawn } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { resolve } from 'node:path'
import { build } from 'esbuild'
import { Miniflare, convertV4MiniflareOptions } from 'miniflare'
import { startReceiver } from '../middleware/testing/receiver.ts'
import { CONDITIONS, ROOT } from './build.ts'

const variant = process.argv[2] ?? 'edge-otel'
const INSPECTOR_PORT = 9229
const receiver = await startReceiver({ strictJson: false })
const bundle = await build({
  entryPoints: [resolve(ROOT, `bench/variants/${variant}.ts`)],
  bundle: true,
  write: false,
  format: 'esm',
  platform: 'neutral',
  conditions: CONDITIONS,
  mainFields: ['module', 'main'],
  external: ['node:*'],
  // The library's sources rather than its build, whose internal property names are shortened.
  alias: { 'edge-otel': resolve(ROOT, 'middleware/index.ts') },
})
const mf = new Miniflare(
  convertV4MiniflareOptions({
    workers: [
      {
        name: 'profiled',
        modules: [{ type: 'ESModule', path: resolve(ROOT, '.miniflare/profiled.mjs'), contents: bundle.outputFiles[0].text }],
        compatibilityDate: '2026-08-01',
        compatibilityFlags: ['nodejs_compat'],
        bindings: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, RECEIVER_URL: receiver.url },
      },
    ],
    host: '127.0.0.1',
    port: 0,
    inspectorPort: INSPECTOR_PORT,
    handleStructuredLogs: () => {},
  }),
)
const url = (await mf.ready).toString()
const targets = (await (await fetch(`http://127.0.0.1:${INSPECTOR_PORT}/json`)).json()) as Array<{ id: string; webSocketDebuggerUrl: string }>
const socket = new WebSocket(targets.find((t) => t.id === 'core:user:profiled')!.webSocketDebuggerUrl)
await new Promise((r) => socket.addEventListener('open', r, { once: true }))
let nextId = 0
function call(method: string, params = {}): Promise<any> {
  const id = ++nextId
  return new Promise((resolveCall) => {
    const onMessage = (event: MessageEvent) => {
      const message = JSON.parse(String(event.data))
      if (message.id !== id) return
      socket.removeEventListener('message', onMessage)
      resolveCall(message.result)
    }
    socket.addEventListener('message', onMessage)
    socket.send(JSON.stringify({ id, method, params }))
  })
}
const load = (seconds: number) => new Promise((r) => spawn('wrk', ['-t2', '-c8', `-d${seconds}s`, `${url}hello/world`]).on('exit', r))

await load(2)
await call('Profiler.enable')
await call('Profiler.setSamplingInterval', { interval: 50 })
await call('Profiler.start')
await load(5)
const { profile } = await call('Profiler.stop')
const out = resolve(ROOT, `bench/${variant}.cpuprofile`)
writeFileSync(out, JSON.stringify(profile))
console.log(`wrote ${out}`)
socket.close()
await mf.dispose()
await receiver.close()
