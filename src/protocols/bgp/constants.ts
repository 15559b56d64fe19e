// BGP-4 wire constants (RFC 4271 and the extensions vipmesh speaks). Numbers only; no behaviour.

export const BGP_VERSION = 4;
export const BGP_PORT = 179;
export const MARKER_LENGTH = 16;
/** Marker (16) + Length (2) + Type (1). */
export const HEADER_LENGTH = 19;
/** RFC 4271 4.1: no message exceeds 4096 octets (we never negotiate RFC 8654 extended messages). */
export const MAX_MESSAGE_LENGTH = 4096;

export const MessageType = { open: 1, update: 2, notification: 3, keepalive: 4, routeRefresh: 5 } as const;
export type MessageTypeName = keyof typeof MessageType;

/** Smallest legal Length field per message type (RFC 4271 4.2-4.5, RFC 2918 3). */
export const MIN_LENGTH: Readonly<Record<number, number>> = {
  [MessageType.open]: 29,
  [MessageType.update]: 23,
  [MessageType.notification]: 21,
  [MessageType.keepalive]: 19,
  [MessageType.routeRefresh]: 23,
};
/** Types whose Length is fixed (KEEPALIVE: header only; ROUTE-REFRESH without ORF). */
export const EXACT_LENGTH: Readonly<Record<number, number>> = {
  [MessageType.keepalive]: 19,
  [MessageType.routeRefresh]: 23,
};

export const Afi = { ipv4: 1, ipv6: 2 } as const;
export const Safi = { unicast: 1 } as const;

/** RFC 6793: the 2-octet placeholder for a 4-octet ASN. */
export const AS_TRANS = 23456;
export const MAX_ASN = 0xffffffff;

export const CapabilityCode = {
  multiprotocol: 1,
  routeRefresh: 2,
  extendedNextHop: 5,
  gracefulRestart: 64,
  fourOctetAs: 65,
} as const;

/** OPEN optional parameter types (RFC 5492: only Capabilities is defined; Authentication is deprecated). */
export const OptionalParameterType = { capabilities: 2 } as const;

export const AttrFlag = { optional: 0x80, transitive: 0x40, partial: 0x20, extendedLength: 0x10 } as const;

export const AttrType = {
  origin: 1,
  asPath: 2,
  nextHop: 3,
  multiExitDisc: 4,
  localPref: 5,
  atomicAggregate: 6,
  aggregator: 7,
  communities: 8,
  mpReachNlri: 14,
  mpUnreachNlri: 15,
  as4Path: 17,
  as4Aggregator: 18,
  largeCommunities: 32,
} as const;

export const OriginCode = { igp: 0, egp: 1, incomplete: 2 } as const;
export type Origin = keyof typeof OriginCode;

export const AsPathSegmentCode = { set: 1, sequence: 2, confedSequence: 3, confedSet: 4 } as const;
export type AsPathSegmentType = keyof typeof AsPathSegmentCode;
