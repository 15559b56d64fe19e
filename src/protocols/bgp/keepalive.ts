// KEEPALIVE (RFC 4271 4.4): the header alone, Length exactly 19.
import { ByteWriter } from "../codec/writer.js";
import { HEADER_LENGTH, MessageType } from "./constants.js";
import { openMessage, writeHeader } from "./header.js";

export interface KeepaliveMessage {
  readonly type: "keepalive";
}

export const KEEPALIVE: KeepaliveMessage = Object.freeze({ type: "keepalive" });

export function encodingLength(_m: KeepaliveMessage): number {
  return HEADER_LENGTH;
}

export function encodeInto(_m: KeepaliveMessage, buf: Uint8Array, offset = 0): number {
  const w = new ByteWriter(buf, offset);
  writeHeader(w, HEADER_LENGTH, MessageType.keepalive);
  return w.written;
}

export function encode(m: KeepaliveMessage): Uint8Array {
  const buf = new Uint8Array(encodingLength(m));
  encodeInto(m, buf, 0);
  return buf;
}

/** Throws BgpDecodeError 1/2 for any Length other than 19. */
export function decode(bytes: Uint8Array, offset = 0): { value: KeepaliveMessage; bytesRead: number } {
  const { length } = openMessage(bytes, offset, MessageType.keepalive);
  return { value: KEEPALIVE, bytesRead: length };
}
