// NOTIFICATION (RFC 4271 4.5): Error code (1), Error subcode (1), Data (rest of the message, Length - 21 octets).
// Unknown codes and subcodes are kept as numbers: a peer may send codes newer than this table.
// RFC 9003 shutdown communication (Cease 2 and 4): Data = length octet + UTF-8 text of at most 255 octets.
import { EncodeError } from "../codec/errors.js";
import { ByteWriter } from "../codec/writer.js";
import { HEADER_LENGTH, MAX_MESSAGE_LENGTH, MessageType } from "./constants.js";
import { openMessage, writeHeader } from "./header.js";
import { CeaseSubcode, ErrorCode, type NotificationFields } from "./notificationCodes.js";
import { checkUint } from "./uint.js";

export interface NotificationMessage extends NotificationFields {
  readonly type: "notification";
}

const FIXED = HEADER_LENGTH + 2;
export const MAX_NOTIFICATION_DATA = MAX_MESSAGE_LENGTH - FIXED;

export function notification(code: number, subcode: number, data: Uint8Array = new Uint8Array(0)): NotificationMessage {
  return { type: "notification", code, subcode, data };
}

export function encodingLength(m: NotificationMessage): number {
  return FIXED + m.data.length;
}

export function encodeInto(m: NotificationMessage, buf: Uint8Array, offset = 0): number {
  checkUint(m.code, 0xff, "code");
  checkUint(m.subcode, 0xff, "subcode");
  if (m.data.length > MAX_NOTIFICATION_DATA) {
    throw new EncodeError("BGP_MESSAGE_TOO_LONG", "data", `${m.data.length} octets of data, at most ${MAX_NOTIFICATION_DATA} fit`);
  }
  const w = new ByteWriter(buf, offset);
  writeHeader(w, encodingLength(m), MessageType.notification);
  w.u8(m.code).u8(m.subcode).bytes(m.data);
  return w.written;
}

export function encode(m: NotificationMessage): Uint8Array {
  const buf = new Uint8Array(encodingLength(m));
  encodeInto(m, buf, 0);
  return buf;
}

export function decode(bytes: Uint8Array, offset = 0): { value: NotificationMessage; bytesRead: number } {
  const { body, length } = openMessage(bytes, offset, MessageType.notification);
  const code = body.u8();
  const subcode = body.u8();
  const data = body.bytesCopy(body.remaining);
  return { value: { type: "notification", code, subcode, data }, bytesRead: length };
}

const MAX_SHUTDOWN_TEXT = 255;

/**
 * A Cease carrying an RFC 9003 shutdown communication; the text is cut at 255 UTF-8 octets (whole chars). RFC 9003
 * defines it for Administrative Shutdown (2) and Administrative Reset (4) only: other subcodes are sent without data.
 */
export function ceaseWithMessage(subcode: number, text: string): NotificationMessage {
  if (subcode !== CeaseSubcode.administrativeShutdown && subcode !== CeaseSubcode.administrativeReset) return notification(ErrorCode.cease, subcode);
  let encoded = new TextEncoder().encode(text);
  if (encoded.length > MAX_SHUTDOWN_TEXT) {
    let cut = MAX_SHUTDOWN_TEXT;
    while (cut > 0 && ((encoded[cut] as number) & 0xc0) === 0x80) cut--; // never split a UTF-8 sequence
    encoded = encoded.slice(0, cut);
  }
  const data = new Uint8Array(1 + encoded.length);
  data[0] = encoded.length;
  data.set(encoded, 1);
  return notification(ErrorCode.cease, subcode, data);
}

/** The RFC 9003 shutdown communication in a Cease 2 or 4, or undefined when the data is not one. */
export function shutdownMessage(m: NotificationFields): string | undefined {
  const ok = m.code === ErrorCode.cease && (m.subcode === CeaseSubcode.administrativeShutdown || m.subcode === CeaseSubcode.administrativeReset);
  const length = m.data[0];
  if (!ok || length === undefined || m.data.length !== 1 + length) return undefined;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(m.data.subarray(1));
  } catch {
    return undefined;
  }
}
