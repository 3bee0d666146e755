// For unit tests in Node: the test kit's Transport that decodes what the library sends (with the
// independent protobufjs decoder), and an ExecutionContext whose waitUntil promises the test can await.
export { CapturingTransport as DecodingTransport } from '../middleware/testing/payloads.ts'

export function executionContext() {
  const pending: Promise<unknown>[] = []
  return {
    pending,
    ctx: { waitUntil: (p: Promise<unknown>) => void pending.push(p), passThroughOnException() {}, props: {} } as unknown as ExecutionContext,
  }
}
