// IPv6 addresses as canonical strings on the wire boundary (RFC 5952: lowercase, no leading zeros, the longest run
// of two or more zero groups as "::", the first on a tie; no embedded IPv4, no zone). Decoders always produce the
// canonical form; encoders accept only it, so a string compare is an address compare above the codec, as for IPv4.
import { EncodeError } from "./errors.js";
import type { ByteReader } from "./reader.js";
import type { ByteWriter } from "./writer.js";

export const UNSPECIFIED_IPV6 = "::";
/** All-nodes link-local multicast: where unsolicited Neighbor Advertisements go. */
export const ALL_NODES_IPV6 = "ff02::1";
/** Its Ethernet multicast MAC (RFC 2464: 33:33 + the low 32 bits). */
export const ALL_NODES_MAC = "33:33:00:00:00:01";

const GROUP_RE = /^[0-9a-f]{1,4}$/;

export function ipv6FromBytes(b: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i] as number) << 8) | (b[i + 1] as number));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

/** Parses any plain IPv6 text (no zone, no embedded IPv4) to 16 bytes, or undefined. */
function parse(text: string): Uint8Array | undefined {
  const sides = text.split("::");
  if (sides.length > 2) return undefined;
  const split = (s: string | undefined): string[] => (s === undefined || s === "" ? [] : s.split(":"));
  const head = split(sides[0]);
  const tail = split(sides[1]);
  const fill = 8 - head.length - tail.length;
  if (sides.length === 1 ? fill !== 0 : fill < 1) return undefined;
  const groups = sides.length === 1 ? head : [...head, ...Array<string>(fill).fill("0"), ...tail];
  const out = new Uint8Array(16);
  for (let i = 0; i < 8; i++) {
    const g = groups[i] ?? "";
    if (!GROUP_RE.test(g)) return undefined;
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  }
  return out;
}

/** True for the canonical (RFC 5952) text of an IPv6 address. */
export function isIpv6(text: string): boolean {
  const bytes = parse(text);
  return bytes !== undefined && ipv6FromBytes(bytes) === text;
}

/** The canonical text of any plain IPv6 text, or undefined when it is not one. */
export function canonicalIpv6(text: string): string | undefined {
  const bytes = parse(text.toLowerCase());
  return bytes === undefined ? undefined : ipv6FromBytes(bytes);
}

/** Bytes of a canonical IPv6 address. Throws EncodeError for anything else (including non-canonical spellings). */
export function ipv6ToBytes(ip: string, field = "ipv6"): Uint8Array {
  const bytes = parse(ip);
  if (bytes === undefined || ipv6FromBytes(bytes) !== ip) {
    throw new EncodeError("INVALID_IPV6", field, `"${ip}" is not a canonical (RFC 5952) IPv6 address`);
  }
  return bytes;
}

/** True for ff00::/8 (canonical text: a first group of four digits starting "ff"; "ff::1" is 0x00ff, not multicast). */
export function isMulticastIpv6(ip: string): boolean {
  return /^ff[0-9a-f]{2}:/.test(ip);
}

const SOLICITED_NODE_PREFIX = [0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, 0xff] as const;

/**
 * The solicited-node multicast group of `ip` (RFC 4291 2.7.1): ff02::1:ff00:0/104 + the low 24 bits. A multicast
 * Neighbor Solicitation for `ip` is sent there, so a node answering for `ip` must receive it.
 */
export function solicitedNodeAddress(ip: string, field = "ip"): string {
  const b = ipv6ToBytes(ip, field);
  const out = new Uint8Array(16);
  out.set(SOLICITED_NODE_PREFIX);
  out.set(b.subarray(13), 13);
  return ipv6FromBytes(out);
}

/** True when `ip` lies in ff02::1:ff00:0/104. */
export function isSolicitedNodeAddress(ip: string): boolean {
  const b = parse(ip);
  return b !== undefined && SOLICITED_NODE_PREFIX.every((v, i) => b[i] === v);
}

/** The Ethernet MAC a multicast IPv6 address maps to (RFC 2464 7): 33:33 + its low 32 bits. */
export function multicastMac(ip: string, field = "ip"): string {
  const b = ipv6ToBytes(ip, field);
  const hex = (i: number): string => (b[i] as number).toString(16).padStart(2, "0");
  return `33:33:${hex(12)}:${hex(13)}:${hex(14)}:${hex(15)}`;
}

/** The solicited-node multicast MAC of `ip`: 33:33:ff + its low 24 bits. */
export function solicitedNodeMac(ip: string, field = "ip"): string {
  return multicastMac(solicitedNodeAddress(ip, field));
}

export function readIpv6(r: ByteReader): string {
  return ipv6FromBytes(r.bytesView(16));
}

export function writeIpv6(w: ByteWriter, ip: string, field: string): void {
  w.bytes(ipv6ToBytes(ip, field));
}
