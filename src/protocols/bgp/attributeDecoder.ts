// Decoding of the Path Attributes field of an UPDATE (types and encoder in attributes.ts). Every declared length is
// checked against the attribute section before the value is read; the erroneous attribute (flags, type, length,
// value) goes into the NOTIFICATION data as RFC 4271 6.3 asks.
import type { ByteReader } from "../codec/reader.js";
import { AttrFlag, AttrType, OriginCode, type Origin } from "./constants.js";
import { readAsPath } from "./asPath.js";
import { CATEGORY, OPTIONAL_TRANSITIVE, type AttributeOptions, type PathAttributes, type UnknownAttribute } from "./attributes.js";
import { communityFromNumber, largeCommunityFromNumbers } from "./communities.js";
import { readAddress, readMpReach, readMpUnreach } from "./mpNlri.js";
import { ErrorCode, UpdateSubcode, bgpFail, within } from "./notificationCodes.js";

const ORIGINS = new Map<number, Origin>(Object.entries(OriginCode).map(([n, c]) => [c, n as Origin]));

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** Reads the Path Attributes field (already limited to its declared length). */
export function readAttributes(r: ByteReader, opts: AttributeOptions): PathAttributes {
  const a: Mutable<PathAttributes> = {};
  const unknown: UnknownAttribute[] = [];
  const seen = new Set<number>();
  while (r.remaining > 0) {
    const at = r.offset;
    const flags = r.u8();
    const code = within(ErrorCode.updateMessage, UpdateSubcode.attributeLengthError, "attribute header", () => r.u8(), () => Uint8Array.of(flags));
    const extended = (flags & AttrFlag.extendedLength) !== 0;
    const rest = (): Uint8Array => r.bytesView(r.remaining);
    const length = within(ErrorCode.updateMessage, UpdateSubcode.attributeLengthError, `attribute ${code} length`,
      () => (extended ? r.u16() : r.u8()), () => concat(Uint8Array.of(flags, code), rest()));
    if (length > r.remaining) {
      bgpFail(ErrorCode.updateMessage, UpdateSubcode.attributeLengthError, at, `attribute ${code} length ${length} overruns the ${r.remaining} octets left`,
        concat(headerBytes(flags, code, length), rest()));
    }
    const valueBytes = r.peek(length);
    const value = r.sub(length);
    const data = (): Uint8Array => concat(headerBytes(flags, code, length), valueBytes);
    if (seen.has(code)) bgpFail(ErrorCode.updateMessage, UpdateSubcode.malformedAttributeList, at, `attribute ${code} appears more than once`);
    seen.add(code);
    const category = CATEGORY[code];
    if (category === undefined) {
      if ((flags & AttrFlag.optional) === 0) {
        bgpFail(ErrorCode.updateMessage, UpdateSubcode.unrecognizedWellKnownAttribute, at, `unrecognized well-known attribute ${code}`, data());
      }
      unknown.push({ flags, typeCode: code, value: valueBytes.slice() });
      continue;
    }
    const partialAllowed = category === OPTIONAL_TRANSITIVE;
    if ((flags & OPTIONAL_TRANSITIVE) !== category || (!partialAllowed && (flags & AttrFlag.partial) !== 0)) {
      bgpFail(ErrorCode.updateMessage, UpdateSubcode.attributeFlagsError, at, `attribute ${code} has flags 0x${flags.toString(16)}`, data());
    }
    readKnown(a, unknown, { code, flags, length, value, valueBytes, at, data }, opts);
  }
  if (unknown.length > 0) a.unknown = unknown.sort((x, y) => x.typeCode - y.typeCode); // type order, as encoded
  return a;
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

function readKnown(a: Mutable<PathAttributes>, unknown: UnknownAttribute[], raw: RawAttribute, opts: AttributeOptions): void {
  const { code, length, value: v, at, data } = raw;
  const lengthMust = (ok: boolean, want: string): void => {
    if (!ok) bgpFail(ErrorCode.updateMessage, UpdateSubcode.attributeLengthError, at, `attribute ${code} length ${length}, want ${want}`, data());
  };
  const width = opts.fourOctetAs ? 4 : 2;
  switch (code) {
    case AttrType.origin: {
      lengthMust(length === 1, "1");
      const origin = ORIGINS.get(v.u8());
      if (origin === undefined) bgpFail(ErrorCode.updateMessage, UpdateSubcode.invalidOriginAttribute, at, "ORIGIN is not 0, 1 or 2", data());
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
      if (first === 0 || first === 127 || first >= 224) {
        bgpFail(ErrorCode.updateMessage, UpdateSubcode.invalidNextHopAttribute, at, `NEXT_HOP ${nextHop} is not a unicast host address`, data());
      }
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
      lengthMust(length % 4 === 0, "a multiple of 4");
      const list: string[] = [];
      while (v.remaining > 0) list.push(communityFromNumber(v.u32()));
      a.communities = list;
      return;
    }
    case AttrType.largeCommunities: {
      lengthMust(length % 12 === 0, "a multiple of 12");
      const list: string[] = [];
      while (v.remaining > 0) list.push(largeCommunityFromNumbers(v.u32(), v.u32(), v.u32()));
      a.largeCommunities = list;
      return;
    }
    case AttrType.mpReachNlri: {
      const m = readMpReach(v, data);
      if (m === undefined) unknown.push({ flags: raw.flags, typeCode: code, value: raw.valueBytes.slice() });
      else a.mpReach = m;
      return;
    }
    case AttrType.mpUnreachNlri: {
      const m = readMpUnreach(v, data);
      if (m === undefined) unknown.push({ flags: raw.flags, typeCode: code, value: raw.valueBytes.slice() });
      else a.mpUnreach = m;
      return;
    }
    case AttrType.as4Path:
      // RFC 6793 6: a malformed AS4_PATH is discarded, not a session error.
      try {
        a.as4Path = readAsPath(v, 4);
      } catch {
        /* attribute discard */
      }
      return;
    case AttrType.as4Aggregator:
      if (length === 8) a.as4Aggregator = { asn: v.u32(), address: readAddress(v, 4) };
      return;
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
