const encoder = new TextEncoder()
const TWO_32 = 0x100000000

/**
 * A minimal protobuf writer: varints, fixed-width numbers, strings and nested messages
 * written in one pass, with each message length patched in when the message closes.
 */
export class ProtoWriter {
  private buf = new Uint8Array(512)
  private view = new DataView(this.buf.buffer)
  private pos = 0
  private readonly open: number[] = []

  private ensure(n: number): void {
    if (this.pos + n <= this.buf.length) return
    let size = this.buf.length * 2
    while (size < this.pos + n) size *= 2
    const next = new Uint8Array(size)
    next.set(this.buf.subarray(0, this.pos))
    this.buf = next
    this.view = new DataView(next.buffer)
  }

  private rawVarint(value: number): void {
    this.ensure(10)
    while (value >= 0x80) {
      this.buf[this.pos++] = (value % 0x80) | 0x80
      value = Math.floor(value / 0x80)
    }
    this.buf[this.pos++] = value
  }

  private tag(field: number, wireType: number): void {
    this.rawVarint((field << 3) | wireType)
  }

  /** A non-negative integer below 2^53 (uint32, uint64, enum, bool). */
  varint(field: number, value: number): this {
    this.tag(field, 0)
    this.rawVarint(value)
    return this
  }

  /** A signed 64-bit integer as a varint (int64), two's complement for negatives. */
  int64(field: number, value: number): this {
    if (value >= 0) return this.varint(field, value)
    this.tag(field, 0)
    let big = BigInt.asUintN(64, BigInt(Math.trunc(value)))
    this.ensure(10)
    while (big >= 0x80n) {
      this.buf[this.pos++] = Number(big & 0x7fn) | 0x80
      big >>= 7n
    }
    this.buf[this.pos++] = Number(big)
    return this
  }

  bool(field: number, value: boolean): this {
    return this.varint(field, value ? 1 : 0)
  }

  double(field: number, value: number): this {
    this.tag(field, 1)
    this.ensure(8)
    this.view.setFloat64(this.pos, value, true)
    this.pos += 8
    return this
  }

  fixed32(field: number, value: number): this {
    this.tag(field, 5)
    this.ensure(4)
    this.view.setUint32(this.pos, value >>> 0, true)
    this.pos += 4
    return this
  }

  /** A non-negative integer below 2^53 as fixed64 (also used for sfixed64 values ≥ 0). */
  fixed64(field: number, value: number): this {
    this.tag(field, 1)
    this.rawFixed64(value)
    return this
  }

  private rawFixed64(value: number): void {
    this.ensure(8)
    this.view.setUint32(this.pos, value % TWO_32, true)
    this.view.setUint32(this.pos + 4, Math.floor(value / TWO_32), true)
    this.pos += 8
  }

  /** A signed 64-bit integer as sfixed64. */
  sfixed64(field: number, value: number): this {
    if (value >= 0) return this.fixed64(field, value)
    this.tag(field, 1)
    this.ensure(8)
    this.view.setBigInt64(this.pos, BigInt(Math.trunc(value)), true)
    this.pos += 8
    return this
  }

  /** A time in ms since the epoch as fixed64 nanoseconds, exact to the nanosecond. */
  timeNanos(field: number, millis: number): this {
    this.tag(field, 1)
    this.ensure(8)
    this.view.setBigUint64(this.pos, nanosOf(millis), true)
    this.pos += 8
    return this
  }

  /** Packed repeated fixed64. */
  packedFixed64(field: number, values: number[]): this {
    this.fork(field)
    for (const v of values) this.rawFixed64(v)
    return this.close()
  }

  /** Packed repeated double. */
  packedDouble(field: number, values: number[]): this {
    this.fork(field)
    this.ensure(values.length * 8)
    for (const v of values) {
      this.view.setFloat64(this.pos, v, true)
      this.pos += 8
    }
    return this.close()
  }

  string(field: number, value: string): this {
    this.tag(field, 2)
    if (value.length < 0x80 / 3) {
      this.ensure(value.length * 3 + 1)
      const start = this.pos++
      const { written } = encoder.encodeInto(value, this.buf.subarray(this.pos))
      this.buf[start] = written
      this.pos += written
      return this
    }
    const bytes = encoder.encode(value)
    this.rawVarint(bytes.length)
    this.ensure(bytes.length)
    this.buf.set(bytes, this.pos)
    this.pos += bytes.length
    return this
  }

  /** Bytes given as lowercase hex (trace and span ids). */
  hexBytes(field: number, hex: string): this {
    const n = hex.length >>> 1
    this.tag(field, 2)
    this.rawVarint(n)
    this.ensure(n)
    for (let i = 0; i < n; i++) this.buf[this.pos++] = parseInt(hex.substr(i * 2, 2), 16)
    return this
  }

  /** Opens a nested message in `field`; `close()` ends it. */
  fork(field: number): this {
    this.tag(field, 2)
    this.ensure(1)
    this.open.push(this.pos++)
    return this
  }

  close(): this {
    const start = this.open.pop()!
    const length = this.pos - start - 1
    let size = 1
    for (let v = length; v >= 0x80; v = Math.floor(v / 0x80)) size++
    if (size > 1) {
      this.ensure(size - 1)
      this.buf.copyWithin(start + size, start + 1, this.pos)
      this.pos += size - 1
    }
    let v = length
    let p = start
    while (v >= 0x80) {
      this.buf[p++] = (v % 0x80) | 0x80
      v = Math.floor(v / 0x80)
    }
    this.buf[p] = v
    return this
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.pos)
  }
}

/** ms since the epoch (with a fraction) to integer nanoseconds, without float rounding. */
export function nanosOf(millis: number): bigint {
  const whole = Math.floor(millis)
  const sub = Math.min(999_999, Math.round((millis - whole) * 1e6))
  return BigInt(whole) * 1_000_000n + BigInt(sub)
}
