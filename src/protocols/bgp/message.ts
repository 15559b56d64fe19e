// Any BGP message: the union, and encode/decode that dispatch on the header's Type. decodeMessage only ever throws
// BgpDecodeError, whose `notification` says what to send back (null for an error inside a received NOTIFICATION,
// which RFC 4271 6.4 forbids answering).
import { DecodeError } from "../codec/errors.js";
import type { AttributeOptions } from "./attributes.js";
import { MessageType } from "./constants.js";
import { checkLengthForType, readHeaderOrFail } from "./header.js";
import * as keepalive from "./keepalive.js";
import * as notification from "./notification.js";
import { BgpDecodeError, ErrorCode, HeaderSubcode } from "./notificationCodes.js";
import * as open from "./open.js";
import * as routeRefresh from "./routeRefresh.js";
import * as update from "./update.js";

export type { KeepaliveMessage } from "./keepalive.js";
export type { NotificationMessage } from "./notification.js";
export type { OpenMessage } from "./open.js";
export type { RouteRefreshMessage } from "./routeRefresh.js";
export type { UpdateMessage } from "./update.js";

export type BgpMessage =
  | open.OpenMessage
  | update.UpdateMessage
  | notification.NotificationMessage
  | keepalive.KeepaliveMessage
  | routeRefresh.RouteRefreshMessage;

/** What decoding an UPDATE depends on: fixed once the OPENs are exchanged. */
export type MessageOptions = AttributeOptions;

export const DEFAULT_MESSAGE_OPTIONS: MessageOptions = update.DEFAULT_UPDATE_OPTIONS;

export function encodingLength(m: BgpMessage, opts: MessageOptions = DEFAULT_MESSAGE_OPTIONS): number {
  switch (m.type) {
    case "open":
      return open.encodingLength(m);
    case "update":
      return update.encodingLength(m, opts);
    case "notification":
      return notification.encodingLength(m);
    case "keepalive":
      return keepalive.encodingLength(m);
    case "routeRefresh":
      return routeRefresh.encodingLength(m);
  }
}

export function encodeInto(m: BgpMessage, buf: Uint8Array, offset = 0, opts: MessageOptions = DEFAULT_MESSAGE_OPTIONS): number {
  switch (m.type) {
    case "open":
      return open.encodeInto(m, buf, offset);
    case "update":
      return update.encodeInto(m, buf, offset, opts);
    case "notification":
      return notification.encodeInto(m, buf, offset);
    case "keepalive":
      return keepalive.encodeInto(m, buf, offset);
    case "routeRefresh":
      return routeRefresh.encodeInto(m, buf, offset);
  }
}

export function encode(m: BgpMessage, opts: MessageOptions = DEFAULT_MESSAGE_OPTIONS): Uint8Array {
  const buf = new Uint8Array(encodingLength(m, opts));
  encodeInto(m, buf, 0, opts);
  return buf;
}

/** Decodes one whole message at `offset`. Throws BgpDecodeError only. */
export function decode(bytes: Uint8Array, offset = 0, opts: MessageOptions = DEFAULT_MESSAGE_OPTIONS): { value: BgpMessage; bytesRead: number } {
  const header = readHeaderOrFail(bytes, offset);
  try {
    switch (header.type) {
      case MessageType.open:
        return open.decode(bytes, offset);
      case MessageType.update:
        return update.decode(bytes, offset, opts);
      case MessageType.notification:
        return notification.decode(bytes, offset);
      case MessageType.keepalive:
        return keepalive.decode(bytes, offset);
      case MessageType.routeRefresh:
        return routeRefresh.decode(bytes, offset);
      default:
        checkLengthForType(offset, header); // throws 1/3 Bad Message Type with the type as data
        throw new Error(`unreachable: message type ${header.type}`);
    }
  } catch (err) {
    if (header.type === MessageType.notification && err instanceof DecodeError) {
      throw new BgpDecodeError(null, err.offset, `malformed NOTIFICATION: ${err.message}`);
    }
    if (err instanceof BgpDecodeError || !(err instanceof DecodeError)) throw err;
    // A reader failure a codec did not map: every section is length-checked first, so this is a bug guard.
    throw new BgpDecodeError({ code: ErrorCode.messageHeader, subcode: HeaderSubcode.badMessageLength, data: new Uint8Array(0) }, err.offset, err.message);
  }
}
