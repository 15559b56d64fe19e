// A bounds-checked writer for encodeInto: big-endian integers into a caller's buffer, tracking bytes written.
// Running out of room is a caller bug (encodingLength tells the size), so it throws a RangeError, not a DecodeError.

export class ByteWriter {
  private pos: number;

  constructor(
    private readonly buf: Uint8Array,
    private readonly start = 0,
  ) {
    if (!Number.isInteger(start) || start < 0 || start > buf.length) {
      throw new RangeError(`write offset ${start} outside buffer of ${buf.length}`);
    }
    this.pos = start;
  }

  /** Bytes written since construction. */
  get written(): number {
    return this.pos - this.start;
  }

  get offset(): number {
    return this.pos;
  }

  u8(v: number): this {
    const at = this.take(1);
    this.buf[at] = v & 0xff;
    return this;
  }

  u16(v: number): this {
    const at = this.take(2);
    this.buf[at] = (v >>> 8) & 0xff;
    this.buf[at + 1] = v & 0xff;
    return this;
  }

  u32(v: number): this {
    const at = this.take(4);
    this.buf[at] = (v >>> 24) & 0xff;
    this.buf[at + 1] = (v >>> 16) & 0xff;
    this.buf[at + 2] = (v >>> 8) & 0xff;
    this.buf[at + 3] = v & 0xff;
    return this;
  }

  bytes(src: Uint8Array): this {
    const at = this.take(src.length);
    this.buf.set(src, at);
    return this;
  }

  /** Writes n zero bytes (padding). */
  zeros(n: number): this {
    const at = this.take(n);
    this.buf.fill(0, at, at + n);
    return this;
  }

  private take(n: number): number {
    if (this.pos + n > this.buf.length) {
      throw new RangeError(`buffer too small: need ${n} bytes at offset ${this.pos}, buffer is ${this.buf.length}`);
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }
}
