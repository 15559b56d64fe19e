// The 19-octet BGP message header (RFC 4271 4.1): 16 octets of 0xff, Length (19..4096, whole message), Type.
// Header errors map to NOTIFICATION 1/x (RFC 4271 6.1): bad marker -> 1/1, bad length -> 1/2 with the Length field as
// data, unknown type -> 1/3 with the Type field as data.
import { ByteReader } from "../codec/reader.js";
import type { ByteWriter } from "../codec/writer.js";
import { EXACT_LENGTH, HEADER_LENGTH, MARKER_LENGTH, MAX_MESSAGE_LENGTH, MIN_LENGTH } from "./constants.js";
import { BgpDecodeError, ErrorCode, HeaderSubcode, bgpFail, u16Bytes } from "./notificationCodes.js";

export interface BgpHeader {
  /** The Length field: the whole message, header included. */
  readonly length: number;
  readonly type: number;
}

export function writeHeader(w: ByteWriter, length: number, type: number): void {
  for (let i = 0; i < MARKER_LENGTH; i++) w.u8(0xff);
  w.u16(length).u8(type);
}

/**
 * Reads and checks a header at `offset`: marker, 19 <= Length <= 4096. Does not require the body to be present
 * (the framer uses it on partial input); throws a generic TRUNCATED DecodeError if fewer than 19 bytes remain.
 */
export function readHeader(bytes: Uint8Array, offset = 0): BgpHeader {
  const r = new ByteReader(bytes, offset);
  const marker = r.bytesView(MARKER_LENGTH);
  const length = r.u16();
  const type = r.u8();
  if (!marker.every((b) => b === 0xff)) {
    bgpFail(ErrorCode.messageHeader, HeaderSubcode.connectionNotSynchronized, offset, "marker is not all ones");
  }
  if (length < HEADER_LENGTH || length > MAX_MESSAGE_LENGTH) {
    badLength(offset, length, `message length ${length} outside ${HEADER_LENGTH}..${MAX_MESSAGE_LENGTH}`);
  }
  return { length, type };
}

/** 1/2 Bad Message Length; the data is the erroneous Length field (RFC 4271 6.1). */
export function badLength(offset: number, length: number, message: string): never {
  return bgpFail(ErrorCode.messageHeader, HeaderSubcode.badMessageLength, offset + MARKER_LENGTH, message, u16Bytes(length));
}

/** Checks Length against what the Type allows (minimums, fixed sizes); unknown types -> 1/3 with the type as data. */
export function checkLengthForType(offset: number, header: BgpHeader): void {
  const min = MIN_LENGTH[header.type];
  if (min === undefined) {
    bgpFail(ErrorCode.messageHeader, HeaderSubcode.badMessageType, offset + MARKER_LENGTH + 2, `unknown message type ${header.type}`, Uint8Array.of(header.type));
  }
  const exact = EXACT_LENGTH[header.type];
  if (exact !== undefined ? header.length !== exact : header.length < min) {
    badLength(offset, header.length, `message type ${header.type} cannot have length ${header.length}`);
  }
}

/**
 * Opens one whole message of `type` at `offset`: checks the header, that the buffer holds Length bytes, and the
 * length rules for the type. Returns a reader limited to the body. The per-type decoders start here.
 */
export function openMessage(bytes: Uint8Array, offset: number, type: number): { body: ByteReader; length: number } {
  const header = readHeaderOrFail(bytes, offset);
  if (header.type !== type) {
    bgpFail(ErrorCode.messageHeader, HeaderSubcode.badMessageType, offset + MARKER_LENGTH + 2, `message type ${header.type}, want ${type}`, Uint8Array.of(header.type));
  }
  return { body: bodyReader(bytes, offset, header), length: header.length };
}

export function readHeaderOrFail(bytes: Uint8Array, offset: number): BgpHeader {
  try {
    return readHeader(bytes, offset);
  } catch (err) {
    if (err instanceof BgpDecodeError) throw err;
    // Fewer than 19 bytes: no header to speak of. A stream never gets here (the framer waits); report the length.
    const available = Math.max(0, bytes.length - Math.max(0, offset));
    return badLength(Math.max(0, offset), available, `only ${available} bytes, a BGP header needs ${HEADER_LENGTH}`);
  }
}

export function bodyReader(bytes: Uint8Array, offset: number, header: BgpHeader): ByteReader {
  checkLengthForType(offset, header);
  if (bytes.length - offset < header.length) {
    badLength(offset, header.length, `message length ${header.length} but only ${bytes.length - offset} bytes present`);
  }
  return new ByteReader(bytes, offset + HEADER_LENGTH, offset + header.length);
}
