// Wire numbers of BFD (RFC 5880 4.1, RFC 5881, RFC 5883): ports, states, diagnostics, lengths.

/** RFC 5881 4: single-hop control packets go to this UDP port. */
export const BFD_SINGLE_HOP_PORT = 3784;
/** RFC 5881 4: echo packets. */
export const BFD_ECHO_PORT = 3785;
/** RFC 5883 5: multihop control packets. */
export const BFD_MULTIHOP_PORT = 4784;
/** RFC 5881 4: the source port of a session is one value in this range, the same for all its packets. */
export const BFD_SOURCE_PORT_MIN = 49152;
export const BFD_SOURCE_PORT_MAX = 65535;

export const BFD_VERSION = 1;
/** The mandatory section; with the A bit an authentication section of at least 2 octets follows. */
export const BFD_CONTROL_LENGTH = 24;
export const BFD_CONTROL_LENGTH_WITH_AUTH = 26;

/** RFC 5880 6.8.3: while the session is not Up, DesiredMinTxInterval is at least one second. */
export const BFD_SLOW_TX_US = 1_000_000;

/** The State field (RFC 5880 4.1), by name. */
export const BfdStateCode = { adminDown: 0, down: 1, init: 2, up: 3 } as const;
export type BfdState = keyof typeof BfdStateCode;
export const BFD_STATES: readonly BfdState[] = ["adminDown", "down", "init", "up"];

/** The Diagnostic field (RFC 5880 4.1). 9..31 are reserved but carried as numbers. */
export const BfdDiag = {
  none: 0,
  controlDetectionTimeExpired: 1,
  echoFunctionFailed: 2,
  neighborSignaledSessionDown: 3,
  forwardingPlaneReset: 4,
  pathDown: 5,
  concatenatedPathDown: 6,
  administrativelyDown: 7,
  reverseConcatenatedPathDown: 8,
} as const;
export const MAX_DIAG = 31;
