// A worker that consumes a dead-letter queue and reports each message to an HTTP server in the
// test, so tests can see what landed there.
import { createServer } from 'node:http'
import { resolve } from 'node:path'
import type { Receiver } from '../middleware/testing/receiver.ts'
import { type RunningFunctions, type WorkerSpec, exampleFunctions, startExamplesWithReceiver } from './functions.ts'

export interface DeadLetterRecorder {
  /** Bodies of the dead-lettered messages, as far as they carry `signal` and `items`. */
  messages: Array<{ signal?: string; items?: number }>
  /** The worker to add to the specs passed to startFunctions. */
  spec: WorkerSpec
  close(): Promise<void>
}

export async function deadLetterRecorder(queue: string, compatibilityDate: string): Promise<DeadLetterRecorder> {
  const messages: DeadLetterRecorder['messages'] = []
  const server = createServer((req, res) => {
    let body = ''
    req.on('data', (d) => (body += d))
    req.on('end', () => {
      messages.push(JSON.parse(body))
      res.writeHead(204).end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    messages,
    spec: {
      name: 'dead-letter-recorder',
      entry: resolve(import.meta.dirname, 'fixtures/dead-letter-recorder.ts'),
      compatibilityDate,
      compatibilityFlags: ['nodejs_compat'],
      vars: { TARGET_URL: `http://127.0.0.1:${(server.address() as { port: number }).port}` },
      services: {},
      queueConsumers: { [queue]: { maxBatchTimeout: 1 } },
    },
    close: () => new Promise((r) => server.close(() => r())),
  }
}

/** Polls until `predicate` holds or `ms` pass. */
export async function until(predicate: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms
  while (!predicate() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200))
}

export interface OrderQueue {
  receiver: Receiver
  functions: RunningFunctions
  deadLetters: DeadLetterRecorder
  /** POSTs an order to the gateway; orders publishes it for fulfillment. Resolves to the status. */
  placeOrder(sku: string, quantity: number): Promise<number>
  close(): Promise<void>
}

/** The example functions and a recorder on order-placed-dlq, exporting to a new receiver. */
export async function startOrderQueue(vars: Record<string, string> = {}): Promise<OrderQueue> {
  const deadLetters = await deadLetterRecorder('order-placed-dlq', exampleFunctions()[0].compatibilityDate)
  const { receiver, functions, dispose } = await startExamplesWithReceiver(vars, [deadLetters.spec])
  return {
    receiver,
    functions,
    deadLetters,
    async placeOrder(sku, quantity) {
      const body = JSON.stringify({ sku, quantity })
      const response = await functions.fetch('/orders', { method: 'POST', body, headers: { 'content-type': 'application/json' } })
      await response.arrayBuffer()
      return response.status
    },
    async close() {
      await dispose()
      await deadLetters.close()
    },
  }
}
