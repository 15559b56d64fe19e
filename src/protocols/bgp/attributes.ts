// Path attributes (RFC 4271 4.3 and 5, RFC 1997, RFC 4760, RFC 6793, RFC 8092): the types and the encoder (the
// decoder, with its RFC 7606 error handling, is attributeDecoder.ts). Each attribute is Flags (1), Type (1), Length
// (1, or 2 with the Extended Length flag), Value. The encoder writes attributes in type order and sets Extended Length
// only when a value exceeds 255 octets (or an unknown attribute arrived with it); the decoder accepts either form.
// It refuses an empty COMMUNITIES or LARGE_COMMUNITIES list: RFC 7606 7.8 / RFC 8092 6 call that attribute malformed.
// Unknown optional attributes are kept as { flags, typeCode, value } (see passThrough for re-advertising them).
import { ipv4ToBytes } from "../codec/addresses.js";
import { EncodeError } from "../codec/errors.js";
import type { ByteWriter } from "../codec/writer.js";
import { AttrFlag, AttrType, OriginCode, type Origin } from "./constants.js";
import { type AsPathSegment, asPathLength, writeAsPath } from "./asPath.js";
import { communityToNumber, largeCommunityToNumbers } from "./communities.js";
import { type MpReach, type MpUnreach, mpReachLength, mpUnreachLength, writeMpReach, writeMpUnreach } from "./mpNlri.js";
import { checkUint } from "./uint.js";

export interface Aggregator {
  readonly asn: number;
  readonly address: string;
}

export interface UnknownAttribute {
  readonly flags: number;
  readonly typeCode: number;
  readonly value: Uint8Array;
}

export interface PathAttributes {
  readonly origin?: Origin;
  readonly asPath?: readonly AsPathSegment[];
  readonly nextHop?: string;
  readonly med?: number;
  readonly localPref?: number;
  readonly atomicAggregate?: true;
  readonly aggregator?: Aggregator;
  readonly communities?: readonly string[];
  readonly mpReach?: MpReach;
  readonly mpUnreach?: MpUnreach;
  readonly as4Path?: readonly AsPathSegment[];
  readonly as4Aggregator?: Aggregator;
  readonly largeCommunities?: readonly string[];
  /** Optional attributes this codec does not interpret (and MP attributes of other AFI/SAFIs), in type order. */
  readonly unknown?: readonly UnknownAttribute[];
}

export interface AttributeOptions {
  /** Both speakers sent the 4-octet AS capability: AS_PATH and AGGREGATOR carry 4-octet ASNs. */
  readonly fourOctetAs: boolean;
  /** The session is eBGP: a malformed LOCAL_PREF is discarded instead of withdrawing the routes (RFC 7606 7.5). */
  readonly external?: boolean;
  /** We offered RFC 8950 extended next hop for IPv4 unicast: IPv4 routes may carry an IPv6 next hop. */
  readonly extendedNextHop?: boolean;
}

const WELL_KNOWN = AttrFlag.transitive;
const OPTIONAL = AttrFlag.optional;
export const OPTIONAL_TRANSITIVE = AttrFlag.optional | AttrFlag.transitive;

/** The flag category (optional/transitive bits) each known type must carry. */
export const CATEGORY: Readonly<Record<number, number>> = {
  [AttrType.origin]: WELL_KNOWN,
  [AttrType.asPath]: WELL_KNOWN,
  [AttrType.nextHop]: WELL_KNOWN,
  [AttrType.multiExitDisc]: OPTIONAL,
  [AttrType.localPref]: WELL_KNOWN,
  [AttrType.atomicAggregate]: WELL_KNOWN,
  [AttrType.aggregator]: OPTIONAL_TRANSITIVE,
  [AttrType.communities]: OPTIONAL_TRANSITIVE,
  [AttrType.mpReachNlri]: OPTIONAL,
  [AttrType.mpUnreachNlri]: OPTIONAL,
  [AttrType.as4Path]: OPTIONAL_TRANSITIVE,
  [AttrType.as4Aggregator]: OPTIONAL_TRANSITIVE,
  [AttrType.largeCommunities]: OPTIONAL_TRANSITIVE,
};

interface Encoded {
  readonly code: number;
  readonly flags: number;
  readonly length: number;
  readonly write: (w: ByteWriter) => void;
}

/** The attributes as (type, flags, value length, writer), in type order. Validates values before anything is written. */
function encodedAttributes(a: PathAttributes, opts: AttributeOptions): Encoded[] {
  const out: Encoded[] = [];
  const add = (code: number, length: number, write: (w: ByteWriter) => void, flags = CATEGORY[code] ?? OPTIONAL_TRANSITIVE): void => {
    out.push({ code, flags, length, write });
  };
  const width = opts.fourOctetAs ? 4 : 2;
  if (a.origin !== undefined) {
    const code = OriginCode[a.origin] as number | undefined;
    if (code === undefined) throw new EncodeError("BGP_BAD_FIELD", "origin", `unknown origin "${String(a.origin)}"`);
    add(AttrType.origin, 1, (w) => w.u8(code));
  }
  const asPath = a.asPath;
  if (asPath !== undefined) add(AttrType.asPath, asPathLength(asPath, width), (w) => writeAsPath(w, asPath, width, "asPath"));
  if (a.nextHop !== undefined) {
    const bytes = ipv4ToBytes(a.nextHop, "nextHop");
    add(AttrType.nextHop, 4, (w) => w.bytes(bytes));
  }
  if (a.med !== undefined) add(AttrType.multiExitDisc, 4, u32Writer(a.med, "med"));
  if (a.localPref !== undefined) add(AttrType.localPref, 4, u32Writer(a.localPref, "localPref"));
  if (a.atomicAggregate === true) add(AttrType.atomicAggregate, 0, () => undefined);
  if (a.aggregator !== undefined) add(AttrType.aggregator, width + 4, aggregatorWriter(a.aggregator, width, "aggregator"));
  if (a.communities !== undefined) {
    if (a.communities.length === 0) throw new EncodeError("BGP_BAD_COMMUNITY", "communities", "an empty COMMUNITIES attribute is malformed (RFC 7606 7.8)");
    const values = a.communities.map((c) => communityToNumber(c, "communities"));
    add(AttrType.communities, 4 * values.length, (w) => values.forEach((v) => w.u32(v)));
  }
  const mpReach = a.mpReach;
  if (mpReach !== undefined) add(AttrType.mpReachNlri, mpReachLength(mpReach), (w) => writeMpReach(w, mpReach));
  const mpUnreach = a.mpUnreach;
  if (mpUnreach !== undefined) add(AttrType.mpUnreachNlri, mpUnreachLength(mpUnreach), (w) => writeMpUnreach(w, mpUnreach));
  const as4Path = a.as4Path;
  if (as4Path !== undefined) add(AttrType.as4Path, asPathLength(as4Path, 4), (w) => writeAsPath(w, as4Path, 4, "as4Path"));
  if (a.as4Aggregator !== undefined) add(AttrType.as4Aggregator, 8, aggregatorWriter(a.as4Aggregator, 4, "as4Aggregator"));
  if (a.largeCommunities !== undefined) {
    if (a.largeCommunities.length === 0) throw new EncodeError("BGP_BAD_COMMUNITY", "largeCommunities", "an empty LARGE_COMMUNITIES attribute is malformed (RFC 8092 6)");
    const values = a.largeCommunities.map((c) => largeCommunityToNumbers(c, "largeCommunities"));
    add(AttrType.largeCommunities, 12 * values.length, (w) => values.forEach(([g, l1, l2]) => w.u32(g).u32(l1).u32(l2)));
  }
  for (const u of a.unknown ?? []) {
    checkUint(u.flags, 0xff, "unknown.flags");
    checkUint(u.typeCode, 0xff, "unknown.typeCode");
    if (out.some((e) => e.code === u.typeCode)) {
      throw new EncodeError("BGP_DUPLICATE_ATTRIBUTE", "unknown", `attribute type ${u.typeCode} appears twice`);
    }
    add(u.typeCode, u.value.length, (w) => w.bytes(u.value), u.flags);
  }
  for (const e of out) {
    if (e.length > 0xffff) throw new EncodeError("BGP_MESSAGE_TOO_LONG", "attributes", `attribute ${e.code} of ${e.length} octets`);
  }
  return out.sort((x, y) => x.code - y.code);
}

function u32Writer(v: number, field: string): (w: ByteWriter) => void {
  checkUint(v, 0xffffffff, field);
  return (w) => w.u32(v);
}

function aggregatorWriter(g: Aggregator, width: 2 | 4, field: string): (w: ByteWriter) => void {
  checkUint(g.asn, width === 2 ? 0xffff : 0xffffffff, `${field}.asn`);
  const address = ipv4ToBytes(g.address, `${field}.address`);
  return (w) => (width === 2 ? w.u16(g.asn) : w.u32(g.asn)).bytes(address);
}

const headerLength = (e: Encoded): number => (e.length > 255 || (e.flags & AttrFlag.extendedLength) !== 0 ? 4 : 3);

export function attributesLength(a: PathAttributes, opts: AttributeOptions): number {
  return encodedAttributes(a, opts).reduce((n, e) => n + headerLength(e) + e.length, 0);
}

export function writeAttributes(w: ByteWriter, a: PathAttributes, opts: AttributeOptions): void {
  for (const e of encodedAttributes(a, opts)) {
    const extended = headerLength(e) === 4;
    const flags = extended ? e.flags | AttrFlag.extendedLength : e.flags & ~AttrFlag.extendedLength;
    w.u8(flags).u8(e.code);
    if (extended) w.u16(e.length);
    else w.u8(e.length);
    const before = w.written;
    e.write(w);
    if (w.written - before !== e.length) throw new Error(`attribute ${e.code}: wrote ${w.written - before} octets, announced ${e.length}`);
  }
}

/** Whether an attribute type is one this codec interprets. */
export function isKnownAttribute(code: number): boolean {
  return CATEGORY[code] !== undefined;
}

/**
 * Unknown attributes as they must be re-advertised (RFC 4271 5): optional transitive ones are passed on with the
 * Partial bit set; optional non-transitive ones are dropped.
 */
export function passThrough(unknown: readonly UnknownAttribute[]): UnknownAttribute[] {
  return unknown
    .filter((u) => (u.flags & AttrFlag.transitive) !== 0 && !isKnownAttribute(u.typeCode))
    .map((u) => ({ ...u, flags: u.flags | AttrFlag.partial }));
}
