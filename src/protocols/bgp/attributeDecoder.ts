// Decoding of the Path Attributes field of an UPDATE (types and encoder in attributes.ts), with RFC 7606 error
// handling. Every declared length is checked against the attribute section before the value is read. Errors that
// still reset the session throw a BgpDecodeError carrying the erroneous attribute (flags, type, length, value) as
// NOTIFICATION data (RFC 4271 6.3): an unrecognized well-known attribute (3/2), a repeated MP_REACH_NLRI or
// MP_UNREACH_NLRI (3/1), an MP attribute too short to name its AFI/SAFI or overrunning the section (3/9, 3/5).
// Everything else is recorded in `errors` with its handling (updateErrors.ts) and decoding goes on:
//   flags contradicting the type, a missing well-known attribute      -> treat-as-withdraw (RFC 7606 3)
//   the attribute section overrun or cut inside a header              -> treat-as-withdraw, rest skipped (RFC 7606 4)
//   a repeated attribute other than MP_*                              -> later copies discarded (RFC 7606 3)
//   per attribute, a bad length or value: VALUE_ERRORS below          (RFC 7606 7, RFC 6793 6, RFC 8092 6)
//   an MP attribute of IPv4/IPv6 unicast that does not parse, or IPv4 routes with an IPv6 next hop when we did not
//   offer RFC 8950 extended next hop                                  -> AFI/SAFI disable (RFC 4760 7, RFC 7606 7.11)
import type { ByteReader } from "../codec/reader.js";
import { Afi, AttrFlag, AttrType, OriginCode, type Origin } from "./constants.js";
import { readAsPath } from "./asPath.js";
import { CATEGORY, OPTIONAL_TRANSITIVE, type AttributeOptions, type PathAttributes, type UnknownAttribute } from "./attributes.js";
import { communityFromNumber, largeCommunityFromNumbers } from "./communities.js";
import { isUnicastFamily, readAddress, readMpReach, readMpUnreach } from "./mpNlri.js";
import { BgpDecodeError, ErrorCode, UpdateSubcode, bgpFail } from "./notificationCodes.js";
import type { UpdateError, UpdateErrorHandling, UpdateErrorKind } from "./updateErrors.js";

const ORIGINS = new Map<number, Origin>(Object.entries(OriginCode).map(([n, c]) => [c, n as Origin]));

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A bad length or value of a known attribute: its counter and how the UPDATE is handled (RFC 7606 7). */
const VALUE_ERRORS: Readonly<Record<number, { kind: UpdateErrorKind; handling: (o: AttributeOptions) => UpdateErrorHandling }>> = {
  [AttrType.origin]: { kind: "malformedOrigin", handling: () => "treatAsWithdraw" },
  [AttrType.asPath]: { kind: "malformedAsPath", handling: () => "treatAsWithdraw" },
  [AttrType.nextHop]: { kind: "invalidNextHop", handling: () => "treatAsWithdraw" },
  [AttrType.multiExitDisc]: { kind: "malformedMed", handling: () => "treatAsWithdraw" },
  // RFC 7606 7.5: LOCAL_PREF from an external peer is ignored anyway, so a malformed one is just dropped.
  [AttrType.localPref]: { kind: "malformedLocalPref", handling: (o) => (o.external === true ? "attributeDiscard" : "treatAsWithdraw") },
  [AttrType.atomicAggregate]: { kind: "malformedAtomicAggregate", handling: () => "attributeDiscard" },
  [AttrType.aggregator]: { kind: "malformedAggregator", handling: () => "attributeDiscard" },
  [AttrType.communities]: { kind: "malformedCommunities", handling: () => "treatAsWithdraw" },
  [AttrType.largeCommunities]: { kind: "malformedLargeCommunities", handling: () => "treatAsWithdraw" },
  [AttrType.as4Path]: { kind: "malformedAs4Path", handling: () => "attributeDiscard" },
  [AttrType.as4Aggregator]: { kind: "malformedAs4Aggregator", handling: () => "attributeDiscard" },
};

export interface AttributesRead {
  readonly attributes: PathAttributes;
  /** Type codes present in the section, also those dropped as malformed (for the missing-attribute check). */
  readonly present: ReadonlySet<number>;
}

/** Reads the Path Attributes field (already limited to its declared length); non-fatal errors go to `errors`. */
export function readAttributes(r: ByteReader, opts: AttributeOptions, errors: UpdateError[]): AttributesRead {
  const a: Mutable<PathAttributes> = {};
  const unknown: UnknownAttribute[] = [];
  const present = new Set<number>();
  while (r.remaining > 0) {
    const raw = readRawAttribute(r, errors, present);
    if (raw === undefined) break;
    const { code, flags, at } = raw;
    if (present.has(code)) {
      if (code === AttrType.mpReachNlri || code === AttrType.mpUnreachNlri) {
        bgpFail(ErrorCode.updateMessage, UpdateSubcode.malformedAttributeList, at, `attribute ${code} appears more than once`);
      }
      errors.push({ kind: "repeatedAttribute", handling: "attributeDiscard", detail: `attribute ${code} appears more than once; the first is kept`, offset: at });
      continue;
    }
    present.add(code);
    const category = CATEGORY[code];
    if (category === undefined) {
      if ((flags & AttrFlag.optional) === 0) {
        bgpFail(ErrorCode.updateMessage, UpdateSubcode.unrecognizedWellKnownAttribute, at, `unrecognized well-known attribute ${code}`, raw.data());
      }
      unknown.push({ flags, typeCode: code, value: raw.valueBytes.slice() });
      continue;
    }
    const partialAllowed = category === OPTIONAL_TRANSITIVE;
    if ((flags & OPTIONAL_TRANSITIVE) !== category || (!partialAllowed && (flags & AttrFlag.partial) !== 0)) {
      errors.push({ kind: "attributeFlags", handling: "treatAsWithdraw", detail: `attribute ${code} has flags 0x${flags.toString(16)}`, offset: at });
    }
    if (code === AttrType.mpReachNlri || code === AttrType.mpUnreachNlri) readMpAttribute(a, unknown, raw, opts, errors);
    else readValue(a, raw, opts, errors);
  }
  if (unknown.length > 0) a.unknown = unknown.sort((x, y) => x.typeCode - y.typeCode); // type order, as encoded
  return { attributes: a, present };
}

interface RawAttribute {
  readonly code: number;
  readonly flags: number;
  readonly length: number;
  readonly value: ByteReader;
  readonly valueBytes: Uint8Array;
  readonly at: number;
  readonly data: () => Uint8Array;
}

/**
 * One attribute's header and value, or undefined when the section ends inside a header or an attribute's length
 * overruns it (RFC 7606 4: treat-as-withdraw; the Total Path Attribute Length still locates the NLRI). An MP
 * attribute that overruns would hide its routes, so that one still resets the session.
 */
function readRawAttribute(r: ByteReader, errors: UpdateError[], present: Set<number>): RawAttribute | undefined {
  const at = r.offset;
  const flags = r.u8();
  const headerLength = (flags & AttrFlag.extendedLength) !== 0 ? 4 : 3;
  const overrun = (detail: string): undefined => {
    errors.push({ kind: "attributeOverrun", handling: "treatAsWithdraw", detail, offset: at });
    r.skip(r.remaining);
    return undefined;
  };
  if (r.remaining < headerLength - 1) return overrun(`attribute header of ${headerLength} octets cut after ${r.remaining + 1}`);
  const code = r.u8();
  const length = headerLength === 4 ? r.u16() : r.u8();
  if (length > r.remaining) {
    if (code === AttrType.mpReachNlri || code === AttrType.mpUnreachNlri) {
      bgpFail(ErrorCode.updateMessage, UpdateSubcode.attributeLengthError, at, `attribute ${code} length ${length} overruns the ${r.remaining} octets left`,
        concat(headerBytes(flags, code, length), r.bytesView(r.remaining)));
    }
    present.add(code); // broken, not missing: one error, not two
    return overrun(`attribute ${code} length ${length} overruns the ${r.remaining} octets left`);
  }
  const valueBytes = r.peek(length);
  const value = r.sub(length);
  return { code, flags, length, value, valueBytes, at, data: () => concat(headerBytes(flags, code, length), valueBytes) };
}

/** A known attribute other than MP_*: a bad length or value becomes the error VALUE_ERRORS names. */
function readValue(a: Mutable<PathAttributes>, raw: RawAttribute, opts: AttributeOptions, errors: UpdateError[]): void {
  try {
    readKnown(a, raw, opts);
  } catch (err) {
    const rule = VALUE_ERRORS[raw.code];
    if (!(err instanceof BgpDecodeError) || rule === undefined) throw err;
    errors.push({ kind: rule.kind, handling: rule.handling(opts), detail: err.message, offset: raw.at });
  }
}

function readKnown(a: Mutable<PathAttributes>, raw: RawAttribute, opts: AttributeOptions): void {
  const { code, length, value: v, at, data } = raw;
  const fail = (subcode: number, message: string): never => bgpFail(ErrorCode.updateMessage, subcode, at, message, data());
  const lengthMust = (ok: boolean, want: string): void => {
    if (!ok) fail(UpdateSubcode.attributeLengthError, `attribute ${code} length ${length}, want ${want}`);
  };
  const width = opts.fourOctetAs ? 4 : 2;
  switch (code) {
    case AttrType.origin: {
      lengthMust(length === 1, "1");
      const origin = ORIGINS.get(v.u8());
      if (origin === undefined) return fail(UpdateSubcode.invalidOriginAttribute, "ORIGIN is not 0, 1 or 2");
      a.origin = origin;
      return;
    }
    case AttrType.asPath:
      a.asPath = readAsPath(v, width);
      return;
    case AttrType.nextHop: {
      lengthMust(length === 4, "4");
      const bytes = v.bytesView(4);
      const first = bytes[0] as number;
      const nextHop = Array.from(bytes).join(".");
      if (first === 0 || first === 127 || first >= 224) fail(UpdateSubcode.invalidNextHopAttribute, `NEXT_HOP ${nextHop} is not a unicast host address`);
      a.nextHop = nextHop;
      return;
    }
    case AttrType.multiExitDisc:
      lengthMust(length === 4, "4");
      a.med = v.u32();
      return;
    case AttrType.localPref:
      lengthMust(length === 4, "4");
      a.localPref = v.u32();
      return;
    case AttrType.atomicAggregate:
      lengthMust(length === 0, "0");
      a.atomicAggregate = true;
      return;
    case AttrType.aggregator:
      lengthMust(length === width + 4, String(width + 4));
      a.aggregator = { asn: width === 2 ? v.u16() : v.u32(), address: readAddress(v, 4) };
      return;
    case AttrType.communities: {
      lengthMust(length > 0 && length % 4 === 0, "a non-zero multiple of 4");
      const list: string[] = [];
      while (v.remaining > 0) list.push(communityFromNumber(v.u32()));
      a.communities = list;
      return;
    }
    case AttrType.largeCommunities: {
      lengthMust(length > 0 && length % 12 === 0, "a non-zero multiple of 12");
      const list: string[] = [];
      while (v.remaining > 0) list.push(largeCommunityFromNumbers(v.u32(), v.u32(), v.u32()));
      a.largeCommunities = list;
      return;
    }
    case AttrType.as4Path:
      a.as4Path = readAsPath(v, 4);
      return;
    case AttrType.as4Aggregator:
      lengthMust(length === 8, "8");
      a.as4Aggregator = { asn: v.u32(), address: readAddress(v, 4) };
      return;
  }
}

/**
 * MP_REACH_NLRI / MP_UNREACH_NLRI. Other AFI/SAFIs are kept opaque. For IPv4/IPv6 unicast a value that does not parse
 * disables that family for the session (its routes cannot be located, so treat-as-withdraw is impossible); too short
 * to name the family at all, it resets the session (3/9).
 */
function readMpAttribute(a: Mutable<PathAttributes>, unknown: UnknownAttribute[], raw: RawAttribute, opts: AttributeOptions, errors: UpdateError[]): void {
  const reach = raw.code === AttrType.mpReachNlri;
  const b = raw.valueBytes;
  const afi = b.length >= 3 ? ((b[0] as number) << 8) | (b[1] as number) : undefined;
  const safi = b.length >= 3 ? (b[2] as number) : undefined;
  try {
    const m = reach ? readMpReach(raw.value, raw.data) : readMpUnreach(raw.value, raw.data);
    if (m === undefined) unknown.push({ flags: raw.flags, typeCode: raw.code, value: b.slice() });
    else if ("nlri" in m) a.mpReach = m;
    else a.mpUnreach = m;
    if (m !== undefined && "nlri" in m && m.afi === Afi.ipv4 && m.nextHop.includes(":") && opts.extendedNextHop !== true) {
      errors.push({
        kind: "ipv6NextHopWithoutExtendedNextHop", handling: "afiSafiDisable", afi: m.afi, safi: m.safi, offset: raw.at,
        detail: `IPv4 routes with the IPv6 next hop ${m.nextHop}, but extended next hop (RFC 8950) was not negotiated`,
      });
    }
  } catch (err) {
    if (!(err instanceof BgpDecodeError) || afi === undefined || safi === undefined || !isUnicastFamily(afi, safi)) throw err;
    errors.push({ kind: reach ? "malformedMpReach" : "malformedMpUnreach", handling: "afiSafiDisable", afi, safi, detail: err.message, offset: raw.at });
  }
}

function headerBytes(flags: number, code: number, length: number): Uint8Array {
  return (flags & AttrFlag.extendedLength) !== 0 ? Uint8Array.of(flags, code, length >>> 8, length & 0xff) : Uint8Array.of(flags, code, length);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
