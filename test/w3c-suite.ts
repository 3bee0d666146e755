// `npm run w3c`: the official W3C trace-context test suite, in its strictest mode, against the
// gateway running in workerd. The suite is not part of this repository: get its test/ folder
// from github.com/w3c/trace-context and point W3C_SUITE_DIR at it. It needs Python 3 with
// aiohttp (Debian: python3-aiohttp, run with /usr/bin/python3).
import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { startReceiver } from '../middleware/testing/receiver.ts'
import { exampleFunctions, startFunctions } from './functions.ts'

const suite = process.env.W3C_SUITE_DIR
if (!suite || !existsSync(resolve(suite, 'test.py'))) {
  console.error('Set W3C_SUITE_DIR to the test/ folder of github.com/w3c/trace-context (it holds test.py).')
  process.exit(2)
}
const python = process.env.PYTHON ?? (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3')

const receiver = await startReceiver()
const functions = await startFunctions(exampleFunctions(), { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, W3C_TEST_SERVICE: 'on' })
const endpoint = `${(await functions.mf.ready).toString().replace(/\/$/, '')}/__w3c`
console.log(`service endpoint ${endpoint}`)

const code = await new Promise<number>((done) => {
  const child = spawn(python, ['test.py', endpoint], {
    cwd: suite,
    stdio: 'inherit',
    env: { ...process.env, SPEC_LEVEL: '2', STRICT_LEVEL: '2', HARNESS_HOST: '127.0.0.1', HARNESS_PORT: process.env.HARNESS_PORT ?? '7777' },
  })
  child.on('exit', (c) => done(c ?? 1))
})
await functions.dispose()
await receiver.close()
process.exit(code)
