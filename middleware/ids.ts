const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'))

let pool = new Uint8Array(0)
let offset = 0

function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    pool = crypto.getRandomValues(new Uint8Array(1024))
    offset = 0
  }
  let out = ''
  let zero = true
  for (let i = 0; i < bytes; i++) {
    const b = pool[offset++]
    if (b !== 0) zero = false
    out += HEX[b]
  }
  return zero ? randomHex(bytes) : out
}

/** A random, non-zero 16-byte trace id as 32 lowercase hex characters. */
export const newTraceId = (): string => randomHex(16)

/** A random, non-zero 8-byte span id as 16 lowercase hex characters. */
export const newSpanId = (): string => randomHex(8)
