// MP_REACH_NLRI and MP_UNREACH_NLRI (RFC 4760 3-4) for IPv4 and IPv6 unicast. MP_REACH: AFI (2), SAFI (1),
// Next Hop Length (1), Next Hop, Reserved (1), NLRI. An IPv6 next hop is a global address, optionally followed by a
// link-local one (RFC 2545 3: length 16 or 32); IPv6 routes always have one, IPv4 routes have an IPv4 next hop (4) or,
// with RFC 8950 extended next hop, an IPv6 one (16 or 32). Whether that was negotiated is the decoder's caller's
// business (attributeDecoder.ts). MP_UNREACH: AFI (2), SAFI (1), Withdrawn Routes.
// Other AFI/SAFI pairs are not decoded here: the attribute is kept opaque (see attributes.ts).
// Structural errors are 3/9 Optional Attribute Error; bad prefixes 3/10 Invalid Network Field.
import { EncodeError } from "../codec/errors.js";
import type { ByteReader } from "../codec/reader.js";
import type { ByteWriter } from "../codec/writer.js";
import { formatIp, parseIp, type Family } from "../../net/ip.js";
import { Afi, Safi } from "./constants.js";
import { ErrorCode, UpdateSubcode, bgpFail, within } from "./notificationCodes.js";
import { prefixesEncodingLength, readPrefixes, writePrefixes } from "./prefix.js";
import { checkUint } from "./uint.js";

export type UnicastAfi = typeof Afi.ipv4 | typeof Afi.ipv6;

export interface MpReach {
  readonly afi: UnicastAfi;
  readonly safi: typeof Safi.unicast;
  /** IPv4 (AFI 1) or global IPv6 (AFI 2, or AFI 1 with RFC 8950 extended next hop). */
  readonly nextHop: string;
  /** With an IPv6 next hop only: the link-local next hop sent after the global one. */
  readonly linkLocalNextHop?: string;
  readonly nlri: readonly string[];
}

export interface MpUnreach {
  readonly afi: UnicastAfi;
  readonly safi: typeof Safi.unicast;
  readonly withdrawn: readonly string[];
}

export const familyOfAfi = (afi: UnicastAfi): Family => (afi === Afi.ipv4 ? 4 : 6);

export function isUnicastFamily(afi: number, safi: number): afi is UnicastAfi {
  return (afi === Afi.ipv4 || afi === Afi.ipv6) && safi === Safi.unicast;
}

const nextHopFamily = (m: MpReach): Family => (m.afi === Afi.ipv4 && !m.nextHop.includes(":") ? 4 : 6);

function nextHopLength(m: MpReach): number {
  return nextHopFamily(m) === 4 ? 4 : m.linkLocalNextHop === undefined ? 16 : 32;
}

export function mpReachLength(m: MpReach): number {
  return 5 + nextHopLength(m) + prefixesEncodingLength(m.nlri);
}

export function mpUnreachLength(m: MpUnreach): number {
  return 3 + prefixesEncodingLength(m.withdrawn);
}

function writeAddress(w: ByteWriter, text: string, family: Family, field: string): void {
  let value: bigint;
  try {
    const ip = parseIp(text);
    if (ip.family !== family || formatIp(ip) !== text) throw new Error("not canonical");
    value = ip.value;
  } catch {
    throw new EncodeError("BGP_BAD_NEXT_HOP", field, `"${text}" is not a canonical IPv${family} address`);
  }
  const octets = family === 4 ? 4 : 16;
  for (let i = octets - 1; i >= 0; i--) w.u8(Number((value >> BigInt(8 * i)) & 0xffn));
}

export function readAddress(r: ByteReader, family: Family): string {
  const view = r.bytesView(family === 4 ? 4 : 16);
  let value = 0n;
  for (const b of view) value = (value << 8n) | BigInt(b);
  return formatIp({ family, value });
}

export function writeMpReach(w: ByteWriter, m: MpReach): void {
  if (!isUnicastFamily(m.afi, m.safi)) throw new EncodeError("BGP_BAD_FIELD", "mpReach", `AFI ${m.afi} SAFI ${m.safi} is not IPv4/IPv6 unicast`);
  const hopFamily = nextHopFamily(m);
  if (hopFamily === 4 && m.linkLocalNextHop !== undefined) throw new EncodeError("BGP_BAD_NEXT_HOP", "mpReach.linkLocalNextHop", "only an IPv6 next hop has a link-local one");
  w.u16(m.afi).u8(m.safi).u8(nextHopLength(m));
  writeAddress(w, m.nextHop, hopFamily, "mpReach.nextHop");
  if (m.linkLocalNextHop !== undefined) writeAddress(w, m.linkLocalNextHop, 6, "mpReach.linkLocalNextHop");
  w.u8(0);
  writePrefixes(w, m.nlri, familyOfAfi(m.afi), "mpReach.nlri");
}

export function writeMpUnreach(w: ByteWriter, m: MpUnreach): void {
  checkUint(m.afi, 0xffff, "mpUnreach.afi");
  if (!isUnicastFamily(m.afi, m.safi)) throw new EncodeError("BGP_BAD_FIELD", "mpUnreach", `AFI ${m.afi} SAFI ${m.safi} is not IPv4/IPv6 unicast`);
  w.u16(m.afi).u8(m.safi);
  writePrefixes(w, m.withdrawn, familyOfAfi(m.afi), "mpUnreach.withdrawn");
}

const optionalError = (at: number, message: string, data: Uint8Array): never =>
  bgpFail(ErrorCode.updateMessage, UpdateSubcode.optionalAttributeError, at, message, data);

/** Undefined when the AFI/SAFI is not IPv4/IPv6 unicast (the caller keeps the attribute opaque). */
export function readMpReach(r: ByteReader, data: () => Uint8Array): MpReach | undefined {
  const at = r.offset;
  return within(ErrorCode.updateMessage, UpdateSubcode.optionalAttributeError, "MP_REACH_NLRI", () => {
    const afi = r.u16();
    const safi = r.u8();
    if (!isUnicastFamily(afi, safi)) return undefined;
    const family = familyOfAfi(afi);
    const nhLength = r.u8();
    const valid = nhLength === 16 || nhLength === 32 || (family === 4 && nhLength === 4);
    if (!valid) optionalError(at, `MP_REACH_NLRI next hop length ${nhLength} for AFI ${afi}`, data());
    const nextHop = readAddress(r, nhLength === 4 ? 4 : 6);
    const linkLocal = nhLength === 32 ? readAddress(r, 6) : undefined;
    r.skip(1); // Reserved
    const nlri = readPrefixes(r, family, "MP_REACH_NLRI");
    const base = { afi, safi: Safi.unicast, nextHop, nlri };
    return linkLocal === undefined ? base : { ...base, linkLocalNextHop: linkLocal };
  }, data);
}

export function readMpUnreach(r: ByteReader, data: () => Uint8Array): MpUnreach | undefined {
  return within(ErrorCode.updateMessage, UpdateSubcode.optionalAttributeError, "MP_UNREACH_NLRI", () => {
    const afi = r.u16();
    const safi = r.u8();
    if (!isUnicastFamily(afi, safi)) return undefined;
    return { afi, safi: Safi.unicast, withdrawn: readPrefixes(r, familyOfAfi(afi), "MP_UNREACH_NLRI") };
  }, data);
}
