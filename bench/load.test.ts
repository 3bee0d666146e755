import { execFileSync } from 'node:child_process'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { describe, expect, it } from 'vitest'
import { CONNECTIONS, parseWrk, warmUp, wrk } from './load.ts'

// wrk 4.2's summary of a 1 s run against a server that answered 404 to everything.
const NOT_FOUND = `Running 1s test @ http://127.0.0.1:8799/nothere
  1 threads and 2 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     2.11ms    2.45ms  22.68ms   88.97%
    Req/Sec     1.15k   183.85     1.45k    70.00%
  1146 requests in 1.00s, 582.13KB read
  Non-2xx or 3xx responses: 1146
Requests/sec:   1141.54
Transfer/sec:    579.87KB
`

const hasWrk = (() => {
  try {
    execFileSync('wrk', ['--version'], { stdio: 'ignore' })
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ENOENT'
  }
})()

/** A server on 127.0.0.1 that answers every request with `status` and counts them. */
async function countingServer(status: number) {
  let answered = 0
  const server = createServer((_, res) => {
    answered++
    res.writeHead(status).end('hi')
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    answered: () => answered,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}

describe('parseWrk', () => {
  it('reads requests, the run time and non-2xx answers', () => {
    expect(parseWrk(NOT_FOUND)).toEqual({ requests: 1146, seconds: 1, errors: 1146 })
  })

  it('adds socket errors and reads other time units', () => {
    const out = '  12 requests in 850.00ms, 1KB read\n  Socket errors: connect 1, read 2, write 0, timeout 3\n'
    expect(parseWrk(out)).toEqual({ requests: 12, seconds: 0.85, errors: 6 })
  })

  it('says what it could not read', () => {
    expect(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused')).toThrow(/could not read wrk's output/)
  })
})

describe.skipIf(!hasWrk)('wrk against a real server', () => {
  it('counts the requests the server answered and every non-2xx one as an error', async () => {
    const server = await countingServer(503)
    try {
      const run = await wrk(server.url, 1)
      expect(run.requests).toBeGreaterThan(0)
      expect(run.errors).toBe(run.requests)
      // wrk stops counting at the end of its run; requests in flight then are answered but not counted.
      expect(server.answered() - run.requests).toBeGreaterThanOrEqual(0)
      expect(server.answered() - run.requests).toBeLessThanOrEqual(CONNECTIONS)
    } finally {
      await server.close()
    }
  })
})

describe('warmUp', () => {
  it('returns how many requests were answered', async () => {
    const server = await countingServer(200)
    try {
      const answered = await warmUp(server.url, 100)
      expect(answered).toBeGreaterThan(0)
      expect(answered).toBe(server.answered())
    } finally {
      await server.close()
    }
  })
})
