// Typed failures for every wire codec. Decoders throw DecodeError; transports catch it, count `code`, drop the packet.

/** Codes raised by the generic reader. Protocol codecs add their own codes (prefixed, e.g. "ARP_BAD_OP"). */
export const ReaderErrorCode = {
  /** A read needed more bytes than the buffer (or the enclosing section) holds. */
  Truncated: "TRUNCATED",
  /** A declared length does not fit in the bytes that remain. */
  LengthOverflow: "LENGTH_OVERFLOW",
  /** The start offset handed to a decoder lies outside the buffer. */
  BadOffset: "BAD_OFFSET",
} as const;

/** Thrown by decoders on malformed input. `offset` is the absolute byte offset in the input buffer. */
export class DecodeError extends Error {
  override readonly name = "DecodeError";

  constructor(
    readonly code: string,
    readonly offset: number,
    message: string,
  ) {
    super(`${message} (code ${code} at offset ${offset})`);
  }
}

/** Thrown by encoders when a message cannot be written (bad field value, buffer too small). */
export class EncodeError extends Error {
  override readonly name = "EncodeError";

  constructor(
    readonly code: string,
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message} (code ${code})`);
  }
}

export function isDecodeError(err: unknown): err is DecodeError {
  return err instanceof DecodeError;
}
