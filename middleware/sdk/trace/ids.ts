// Random ids from a pool of random words, refilled 8 KiB at a time (crypto.getRandomValues is
// only allowed while handling a request on workerd, so the pool is filled lazily).
const POOL_WORDS = 2048
let pool = new Uint32Array(0)
let offset = 0
let hex: string[] | undefined

function word(): string {
  if (offset === pool.length) {
    pool = crypto.getRandomValues(new Uint32Array(POOL_WORDS))
    offset = 0
  }
  hex ??= Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))
  const x = pool[offset++]
  return hex[x >>> 24] + hex[(x >>> 16) & 0xff] + hex[(x >>> 8) & 0xff] + hex[x & 0xff]
}

const ZERO_TRACE = '0'.repeat(32)
const ZERO_SPAN = '0'.repeat(16)

/** A random, non-zero 16-byte trace id as 32 lowercase hex characters. */
export function newTraceId(): string {
  const id = word() + word() + word() + word()
  return id === ZERO_TRACE ? newTraceId() : id
}

/** A random, non-zero 8-byte span id as 16 lowercase hex characters. */
export function newSpanId(): string {
  const id = word() + word()
  return id === ZERO_SPAN ? newSpanId() : id
}
