// Splits a TCP byte stream into whole BGP messages, I/O-free: push(chunk) returns the messages completed by the
// chunk (each a fresh Uint8Array holding exactly one message) and keeps the remainder.
//
// Memory is bounded: at most one incomplete message (< 4096 octets) is kept between pushes, whatever the chunk sizes;
// whole messages inside a large chunk are sliced out of it directly. A header with a bad marker (1/1) or a length
// outside 19..4096 (1/2) cannot be resynchronised: push throws that BgpDecodeError, and every later push throws it
// again (the connection must be closed). Per-type checks happen when each message is decoded, not here.
import { HEADER_LENGTH, MAX_MESSAGE_LENGTH } from "./constants.js";
import { readHeader } from "./header.js";
import { BgpDecodeError } from "./notificationCodes.js";

export class BgpFramer {
  private pending = new Uint8Array(MAX_MESSAGE_LENGTH);
  private pendingLength = 0;
  private failure: BgpDecodeError | undefined;
  /** Octets consumed from the stream so far (error offsets are stream positions). */
  private streamOffset = 0;

  /** Octets held back waiting for the rest of a message (always < 4096). */
  get buffered(): number {
    return this.pendingLength;
  }

  /** The framing error that stopped this framer, if any. */
  get error(): BgpDecodeError | undefined {
    return this.failure;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    if (this.failure !== undefined) throw this.failure;
    try {
      return this.consume(chunk);
    } catch (err) {
      this.failure = err as BgpDecodeError;
      this.pendingLength = 0;
      throw err;
    }
  }

  private consume(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    let at = 0;
    // First complete the message started by earlier chunks, copying only what it still needs.
    if (this.pendingLength > 0) {
      at = this.fillPending(chunk, at, HEADER_LENGTH);
      if (this.pendingLength < HEADER_LENGTH) return out;
      const length = this.headerLength(this.pending.subarray(0, HEADER_LENGTH));
      at = this.fillPending(chunk, at, length);
      if (this.pendingLength < length) return out;
      out.push(this.pending.slice(0, length));
      this.streamOffset += length;
      this.pendingLength = 0;
    }
    // Then slice whole messages straight out of the chunk.
    while (chunk.length - at >= HEADER_LENGTH) {
      const length = this.headerLength(chunk.subarray(at, at + HEADER_LENGTH));
      if (chunk.length - at < length) break;
      out.push(chunk.slice(at, at + length));
      this.streamOffset += length;
      at += length;
    }
    // Keep the tail (less than one message).
    this.pending.set(chunk.subarray(at), 0);
    this.pendingLength = chunk.length - at;
    return out;
  }

  private fillPending(chunk: Uint8Array, at: number, upTo: number): number {
    const take = Math.min(upTo - this.pendingLength, chunk.length - at);
    if (take <= 0) return at;
    this.pending.set(chunk.subarray(at, at + take), this.pendingLength);
    this.pendingLength += take;
    return at + take;
  }

  private headerLength(header: Uint8Array): number {
    try {
      return readHeader(header, 0).length;
    } catch (err) {
      const e = err as BgpDecodeError;
      throw new BgpDecodeError(e.notification, e.offset + this.streamOffset, `stream octet ${e.offset + this.streamOffset}: ${e.message}`, e.code);
    }
  }
}
