// The child process behind startReceiverProcess(): `node receiver-process.ts <n>` serves n receivers
// and answers the bench's IPC messages (start, counts, idle, close) with the same id.
import { type ReceiverSet, startInlineReceivers } from './receivers.ts'

const n = Number(process.argv[2])
let receivers: ReceiverSet | undefined

process.on('message', async (message: { id: number; type: string; quietMs?: number }) => {
  const reply = (body: Record<string, unknown> = {}) => process.send!({ ...body, id: message.id })
  switch (message.type) {
    case 'start':
      receivers = await startInlineReceivers(n)
      return reply({ urls: receivers.urls })
    case 'counts':
      return reply({ counts: await receivers!.counts() })
    case 'idle':
      await receivers!.idle(message.quietMs ?? 200)
      return reply()
    case 'close':
      await receivers?.close()
      return reply()
  }
})

process.on('disconnect', () => process.exit(0))
