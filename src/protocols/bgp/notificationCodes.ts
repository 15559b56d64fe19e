// NOTIFICATION error codes and subcodes (RFC 4271 4.5 and 6, RFC 4486 Cease subcodes, RFC 5492 Unsupported
// Capability, RFC 6608 FSM subcodes, RFC 7313 ROUTE-REFRESH errors, RFC 8538 Hard Reset, RFC 9384 BFD Down), and the
// DecodeError that carries the NOTIFICATION a decode failure calls for.
import { DecodeError } from "../codec/errors.js";

export const ErrorCode = {
  messageHeader: 1,
  openMessage: 2,
  updateMessage: 3,
  holdTimerExpired: 4,
  finiteStateMachine: 5,
  cease: 6,
  routeRefresh: 7,
} as const;

export const HeaderSubcode = { connectionNotSynchronized: 1, badMessageLength: 2, badMessageType: 3 } as const;

export const OpenSubcode = {
  unspecific: 0,
  unsupportedVersionNumber: 1,
  badPeerAs: 2,
  badBgpIdentifier: 3,
  unsupportedOptionalParameter: 4,
  unacceptableHoldTime: 6,
  unsupportedCapability: 7,
  roleMismatch: 11,
} as const;

export const UpdateSubcode = {
  malformedAttributeList: 1,
  unrecognizedWellKnownAttribute: 2,
  missingWellKnownAttribute: 3,
  attributeFlagsError: 4,
  attributeLengthError: 5,
  invalidOriginAttribute: 6,
  invalidNextHopAttribute: 8,
  optionalAttributeError: 9,
  invalidNetworkField: 10,
  malformedAsPath: 11,
} as const;

export const FsmSubcode = {
  unspecified: 0,
  unexpectedMessageInOpenSent: 1,
  unexpectedMessageInOpenConfirm: 2,
  unexpectedMessageInEstablished: 3,
} as const;

export const CeaseSubcode = {
  maximumPrefixesReached: 1,
  administrativeShutdown: 2,
  peerDeconfigured: 3,
  administrativeReset: 4,
  connectionRejected: 5,
  otherConfigurationChange: 6,
  connectionCollisionResolution: 7,
  outOfResources: 8,
  hardReset: 9,
  bfdDown: 10,
} as const;

export const RouteRefreshSubcode = { invalidMessageLength: 1 } as const;

/** What a NOTIFICATION says: the fields an FSM needs to send one. */
export interface NotificationFields {
  readonly code: number;
  readonly subcode: number;
  readonly data: Uint8Array;
}

const SUBCODES: Readonly<Record<number, Readonly<Record<string, number>>>> = {
  [ErrorCode.messageHeader]: HeaderSubcode,
  [ErrorCode.openMessage]: OpenSubcode,
  [ErrorCode.updateMessage]: UpdateSubcode,
  [ErrorCode.finiteStateMachine]: FsmSubcode,
  [ErrorCode.cease]: CeaseSubcode,
  [ErrorCode.routeRefresh]: RouteRefreshSubcode,
};

const nameOf = (table: Readonly<Record<string, number>>, value: number): string | undefined =>
  Object.entries(table).find(([, v]) => v === value)?.[0];

/** "openMessage/badPeerAs", "cease/administrativeShutdown", "holdTimerExpired/0", "code99/1". */
export function notificationName(code: number, subcode: number): string {
  const codeName = nameOf(ErrorCode, code) ?? `code${code}`;
  const table = SUBCODES[code];
  const subName = table === undefined ? undefined : nameOf(table, subcode);
  return `${codeName}/${subName ?? String(subcode)}`;
}

/** "BGP_UPDATE_MESSAGE_MALFORMED_AS_PATH": the DecodeError code for a NOTIFICATION code/subcode. */
export function decodeErrorCode(code: number, subcode: number): string {
  const snake = (s: string): string => s.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toUpperCase();
  return `BGP_${snake(notificationName(code, subcode).replace("/", "_"))}`;
}

/**
 * A BGP decode failure. `notification` is what RFC 4271 section 6 says to send back, or null when nothing may be
 * sent (an error inside a received NOTIFICATION, RFC 4271 6.4): the FSM then just closes the connection.
 */
export class BgpDecodeError extends DecodeError {
  constructor(
    readonly notification: NotificationFields | null,
    offset: number,
    message: string,
    code: string = notification === null ? "BGP_BAD_NOTIFICATION" : decodeErrorCode(notification.code, notification.subcode),
  ) {
    super(code, offset, message);
  }
}

export function isBgpDecodeError(err: unknown): err is BgpDecodeError {
  return err instanceof BgpDecodeError;
}

const EMPTY = new Uint8Array(0);

/** Throws a BgpDecodeError asking for NOTIFICATION code/subcode with `data`. */
export function bgpFail(code: number, subcode: number, offset: number, message: string, data: Uint8Array = EMPTY): never {
  throw new BgpDecodeError({ code, subcode, data }, offset, message);
}

/**
 * Runs `fn`; a generic reader failure inside it (TRUNCATED, LENGTH_OVERFLOW) becomes the given NOTIFICATION, so the
 * caller decides which RFC error a short section means. BgpDecodeErrors pass through unchanged.
 */
export function within<T>(code: number, subcode: number, what: string, fn: () => T, data: () => Uint8Array = () => EMPTY): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof DecodeError && !(err instanceof BgpDecodeError)) {
      throw new BgpDecodeError({ code, subcode, data: data() }, err.offset, `${what}: ${err.message}`);
    }
    throw err;
  }
}

export function u16Bytes(n: number): Uint8Array {
  return Uint8Array.of((n >>> 8) & 0xff, n & 0xff);
}
