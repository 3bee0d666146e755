const encoder = new TextEncoder()
const TWO_32 = 0x100000000

/** Nibble values of the ASCII hex digits, indexed by char code; -1 elsewhere. */
const NIBBLE = new Int8Array(128).fill(-1)
for (let i = 0; i < 10; i++) NIBBLE[48 + i] = i
for (let i = 0; i < 6; i++) NIBBLE[97 + i] = NIBBLE[65 + i] = 10 + i

// One growable scratch buffer, reused by every encode (encoding is synchronous).
let scratch = new Uint8Array(16 * 1024)
let scratchView: DataView = new DataView(scratch.buffer)

/**
 * A minimal protobuf writer: varints, fixed-width numbers, strings and nested messages
 * written in one pass, with each message length patched in when the message closes.
 */
export class ProtoWriter {
  #buf: Uint8Array
  #view: DataView
  #pos = 0
  readonly #open: number[] = []
  readonly #shared: boolean

  /** With `shared`, writes into the module's reusable buffer: only one such writer may be in use at a time. */
  constructor(shared = false) {
    this.#shared = shared
    this.#buf = shared ? scratch : new Uint8Array(256)
    this.#view = shared ? scratchView : new DataView(this.#buf.buffer)
  }

  #ensure(n: number): void {
    if (this.#pos + n <= this.#buf.length) return
    let size = this.#buf.length * 2
    while (size < this.#pos + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.#buf.subarray(0, this.#pos))
    this.#buf = next
    this.#view = new DataView(next.buffer)
    if (this.#shared) {
      scratch = next
      scratchView = this.#view
    }
  }

  #rawVarint(value: number): void {
    this.#ensure(10)
    const buf = this.#buf
    while (value >= 0x80) {
      buf[this.#pos++] = (value % 0x80) | 0x80
      value = Math.floor(value / 0x80)
    }
    buf[this.#pos++] = value
  }

  #tag(field: number, wireType: number): void {
    const tag = (field << 3) | wireType
    if (tag < 0x80) {
      this.#ensure(1)
      this.#buf[this.#pos++] = tag
    } else {
      this.#rawVarint(tag)
    }
  }

  /** A non-negative integer below 2^53 (uint32, uint64, enum, bool). */
  varint(field: number, value: number): this {
    this.#tag(field, 0)
    this.#rawVarint(value)
    return this
  }

  /** A signed 64-bit integer as a varint (int64), two's complement for negatives. */
  int64(field: number, value: number): this {
    if (value >= 0) return this.varint(field, value)
    this.#tag(field, 0)
    let big = BigInt.asUintN(64, BigInt(Math.trunc(value)))
    this.#ensure(10)
    while (big >= 0x80n) {
      this.#buf[this.#pos++] = Number(big & 0x7fn) | 0x80
      big >>= 7n
    }
    this.#buf[this.#pos++] = Number(big)
    return this
  }

  bool(field: number, value: boolean): this {
    return this.varint(field, value ? 1 : 0)
  }

  double(field: number, value: number): this {
    this.#tag(field, 1)
    this.#ensure(8)
    this.#view.setFloat64(this.#pos, value, true)
    this.#pos += 8
    return this
  }

  fixed32(field: number, value: number): this {
    this.#tag(field, 5)
    this.#ensure(4)
    this.#view.setUint32(this.#pos, value >>> 0, true)
    this.#pos += 4
    return this
  }

  /** A non-negative integer below 2^53 as fixed64 (also used for sfixed64 values ≥ 0). */
  fixed64(field: number, value: number): this {
    this.#tag(field, 1)
    this.#rawFixed64(value % TWO_32, Math.floor(value / TWO_32))
    return this
  }

  #rawFixed64(low: number, high: number): void {
    this.#ensure(8)
    this.#view.setUint32(this.#pos, low, true)
    this.#view.setUint32(this.#pos + 4, high, true)
    this.#pos += 8
  }

  /** A signed 64-bit integer as sfixed64. */
  sfixed64(field: number, value: number): this {
    if (value >= 0) return this.fixed64(field, value)
    this.#tag(field, 1)
    this.#ensure(8)
    this.#view.setBigInt64(this.#pos, BigInt(Math.trunc(value)), true)
    this.#pos += 8
    return this
  }

  /** A time in ms since the epoch as fixed64 nanoseconds, exact to the nanosecond. */
  timeNanos(field: number, millis: number): this {
    this.#tag(field, 1)
    const [low, high] = nanosWords(millis)
    this.#rawFixed64(low, high)
    return this
  }

  /** Packed repeated fixed64. */
  packedFixed64(field: number, values: number[]): this {
    this.fork(field)
    for (const v of values) this.#rawFixed64(v % TWO_32, Math.floor(v / TWO_32))
    return this.close()
  }

  /** Packed repeated double. */
  packedDouble(field: number, values: number[]): this {
    this.fork(field)
    this.#ensure(values.length * 8)
    for (const v of values) {
      this.#view.setFloat64(this.#pos, v, true)
      this.#pos += 8
    }
    return this.close()
  }

  string(field: number, value: string): this {
    this.#tag(field, 2)
    const n = value.length
    if (n < 0x80) {
      // Short ASCII, the common case: a one-byte length and a plain copy.
      this.#ensure(n + 1)
      const buf = this.#buf
      const start = this.#pos
      let p = start + 1
      for (let i = 0; i < n; i++) {
        const c = value.charCodeAt(i)
        if (c >= 0x80) {
          p = -1
          break
        }
        buf[p++] = c
      }
      if (p !== -1) {
        buf[start] = n
        this.#pos = p
        return this
      }
    }
    const bytes = encoder.encode(value)
    this.#rawVarint(bytes.length)
    this.#raw(bytes)
    return this
  }

  /** Bytes given as lowercase hex (trace and span ids). */
  hexBytes(field: number, hex: string): this {
    const n = hex.length >>> 1
    this.#tag(field, 2)
    this.#ensure(n + 1)
    const buf = this.#buf
    buf[this.#pos++] = n
    for (let i = 0; i < n; i++) {
      buf[this.#pos++] = (NIBBLE[hex.charCodeAt(2 * i) & 0x7f] << 4) | NIBBLE[hex.charCodeAt(2 * i + 1) & 0x7f]
    }
    return this
  }

  /** A length-delimited field whose content is already encoded. */
  bytes(field: number, content: Uint8Array): this {
    this.#tag(field, 2)
    this.#rawVarint(content.length)
    this.#raw(content)
    return this
  }

  #raw(bytes: Uint8Array): void {
    this.#ensure(bytes.length)
    this.#buf.set(bytes, this.#pos)
    this.#pos += bytes.length
  }

  /** Opens a nested message in `field`; `close()` ends it. */
  fork(field: number): this {
    this.#tag(field, 2)
    this.#ensure(1)
    this.#open.push(this.#pos++)
    return this
  }

  close(): this {
    const start = this.#open.pop()!
    const length = this.#pos - start - 1
    if (length < 0x80) {
      this.#buf[start] = length
      return this
    }
    let size = 1
    for (let v = length; v >= 0x80; v = Math.floor(v / 0x80)) size++
    this.#ensure(size - 1)
    this.#buf.copyWithin(start + size, start + 1, this.#pos)
    // The length goes where the message starts; the message's 128+ bytes leave #rawVarint's room.
    const end = this.#pos + size - 1
    this.#pos = start
    this.#rawVarint(length)
    this.#pos = end
    return this
  }

  /** A copy of what was written; the writer's buffer is reused by the next encode. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#pos)
  }
}

/**
 * ms since the epoch (with a fraction) to integer nanoseconds as two 32-bit words, exactly:
 * ms < 2^41, so split it at 2^32 and carry, keeping every product below 2^53.
 */
export function nanosWords(millis: number): [low: number, high: number] {
  const whole = Math.floor(millis)
  const sub = Math.min(999_999, Math.round((millis - whole) * 1e6))
  const msHigh = Math.floor(whole / TWO_32)
  const lowPart = (whole % TWO_32) * 1e6 + sub
  const carry = Math.floor(lowPart / TWO_32)
  return [lowPart % TWO_32, msHigh * 1e6 + carry]
}

/** ms since the epoch to integer nanoseconds as a bigint (for OTLP/JSON strings). */
export function nanosOf(millis: number): bigint {
  const [low, high] = nanosWords(millis)
  return (BigInt(high) << 32n) | BigInt(low)
}
