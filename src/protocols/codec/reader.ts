// One bounds-checked reader for untrusted bytes. Every read checks pos + n <= end; nested sections get a sub-reader
// limited to their declared length, so a bad inner length can never read past the outer section.
import { DecodeError, ReaderErrorCode } from "./errors.js";

export class ByteReader {
  private pos: number;
  private readonly end: number;

  /** Reads `bytes[start, end)`. Offsets reported in errors are absolute positions in `bytes`. */
  constructor(
    private readonly bytes: Uint8Array,
    start = 0,
    end: number = bytes.length,
  ) {
    if (!Number.isInteger(start) || start < 0 || start > bytes.length) {
      throw new DecodeError(ReaderErrorCode.BadOffset, start, `start offset ${start} outside [0, ${bytes.length}]`);
    }
    if (!Number.isInteger(end) || end < start || end > bytes.length) {
      throw new DecodeError(ReaderErrorCode.BadOffset, start, `end offset ${end} outside [${start}, ${bytes.length}]`);
    }
    this.pos = start;
    this.end = end;
  }

  /** Absolute position of the next byte to read. */
  get offset(): number {
    return this.pos;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  u8(): number {
    const at = this.take(1);
    return this.bytes[at] as number;
  }

  /** Big-endian (network order) unsigned 16-bit. */
  u16(): number {
    const at = this.take(2);
    return ((this.bytes[at] as number) << 8) | (this.bytes[at + 1] as number);
  }

  /** Big-endian (network order) unsigned 32-bit. */
  u32(): number {
    const at = this.take(4);
    const b = this.bytes;
    const high = (b[at] as number) * 0x1000000; // multiply, not <<, so values >= 2^31 stay positive
    return high + (((b[at + 1] as number) << 16) | ((b[at + 2] as number) << 8) | (b[at + 3] as number));
  }

  /** The next n bytes as a view (no copy): copy it if you keep it beyond the input buffer's life. */
  bytesView(n: number): Uint8Array {
    const at = this.take(n);
    return this.bytes.subarray(at, at + n);
  }

  /** The next n bytes as a fresh copy. */
  bytesCopy(n: number): Uint8Array {
    return this.bytesView(n).slice();
  }

  /** The next n bytes as a view without moving past them (for error reports that quote a whole field). */
  peek(n: number): Uint8Array {
    const at = this.take(n);
    this.pos = at;
    return this.bytes.subarray(at, at + n);
  }

  skip(n: number): void {
    this.take(n);
  }

  /**
   * A reader over the next `length` bytes, for a section with a declared length; this reader moves past the section.
   * Throws LENGTH_OVERFLOW (not TRUNCATED) so callers can tell a lying length field from a short packet.
   */
  sub(length: number): ByteReader {
    if (!Number.isInteger(length) || length < 0 || length > this.remaining) {
      throw new DecodeError(
        ReaderErrorCode.LengthOverflow,
        this.pos,
        `declared length ${length} exceeds the ${this.remaining} bytes remaining`,
      );
    }
    const child = new ByteReader(this.bytes, this.pos, this.pos + length);
    this.pos += length;
    return child;
  }

  /** Throws `code` at `offset` (default: the current position): for field validation in codecs. */
  fail(code: string, message: string, offset: number = this.pos): never {
    throw new DecodeError(code, offset, message);
  }

  private take(n: number): number {
    if (!Number.isInteger(n) || n < 0 || this.pos + n > this.end) {
      throw new DecodeError(
        ReaderErrorCode.Truncated,
        this.pos,
        `need ${n} bytes, ${this.end - this.pos} remaining`,
      );
    }
    const at = this.pos;
    this.pos += n;
    return at;
  }
}
