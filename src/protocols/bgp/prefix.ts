// NLRI prefixes (RFC 4271 4.3, RFC 4760 5): Length in bits (1 octet), then the fewest octets that hold that many
// bits. As text: "198.18.0.0/24", "2001:db8::/64", always canonical (host bits zero, RFC 5952 IPv6), so a string
// compare is a prefix compare. The decoder clears trailing host bits (RFC 4271: they are irrelevant) and rejects
// lengths over 32/128 or octets past the end of the field with NOTIFICATION 3/10 Invalid Network Field.
import { EncodeError } from "../codec/errors.js";
import type { ByteReader } from "../codec/reader.js";
import type { ByteWriter } from "../codec/writer.js";
import { formatIp, parseIp, type Family } from "../../net/ip.js";
import { ErrorCode, UpdateSubcode, bgpFail } from "./notificationCodes.js";

export interface ParsedPrefix {
  readonly family: Family;
  readonly length: number;
  /** The network address as a 32- or 128-bit value, host bits zero. */
  readonly value: bigint;
}

const bitsOf = (family: Family): number => (family === 4 ? 32 : 128);

/** Parses and checks a canonical prefix; throws EncodeError for anything else. */
export function parsePrefix(text: string, field = "prefix"): ParsedPrefix {
  const slash = text.indexOf("/");
  const lenText = text.slice(slash + 1);
  let parsed: ParsedPrefix | undefined;
  if (slash > 0 && /^(0|[1-9][0-9]{0,2})$/.test(lenText)) {
    try {
      const ip = parseIp(text.slice(0, slash));
      const length = Number(lenText);
      if (length <= bitsOf(ip.family)) parsed = { family: ip.family, length, value: ip.value };
    } catch {
      parsed = undefined;
    }
  }
  if (parsed === undefined) throw new EncodeError("BGP_BAD_PREFIX", field, `"${text}" is not an ADDRESS/LENGTH prefix`);
  const canonical = { ...parsed, value: mask(parsed) };
  if (formatPrefix(canonical) !== text) {
    throw new EncodeError("BGP_BAD_PREFIX", field, `"${text}" is not canonical; write ${formatPrefix(canonical)}`);
  }
  return canonical;
}

function mask(p: ParsedPrefix): bigint {
  const host = BigInt(bitsOf(p.family) - p.length);
  return (p.value >> host) << host;
}

export function formatPrefix(p: ParsedPrefix): string {
  return `${formatIp({ family: p.family, value: p.value })}/${p.length}`;
}

/** Family of a prefix text without a full parse (contains ':' => IPv6). */
export function prefixFamily(text: string): Family {
  return text.includes(":") ? 6 : 4;
}

/** Octets one prefix takes in an NLRI field. */
export function prefixEncodingLength(text: string): number {
  const slash = text.lastIndexOf("/");
  return 1 + Math.ceil(Number(text.slice(slash + 1)) / 8);
}

export function prefixesEncodingLength(prefixes: readonly string[]): number {
  let n = 0;
  for (const p of prefixes) n += prefixEncodingLength(p);
  return n;
}

export function writePrefix(w: ByteWriter, text: string, family: Family, field: string): void {
  const p = parsePrefix(text, field);
  if (p.family !== family) throw new EncodeError("BGP_BAD_PREFIX", field, `"${text}" is not an IPv${family} prefix`);
  const octets = Math.ceil(p.length / 8);
  const bits = bitsOf(family);
  w.u8(p.length);
  for (let i = 0; i < octets; i++) w.u8(Number((p.value >> BigInt(bits - 8 * (i + 1))) & 0xffn));
}

export function writePrefixes(w: ByteWriter, prefixes: readonly string[], family: Family, field: string): void {
  for (const p of prefixes) writePrefix(w, p, family, field);
}

/** Reads prefixes until the section ends. Every failure is 3/10 Invalid Network Field. */
export function readPrefixes(r: ByteReader, family: Family, what: string): string[] {
  const bits = bitsOf(family);
  const out: string[] = [];
  while (r.remaining > 0) {
    const at = r.offset;
    const length = r.u8();
    if (length > bits) bgpFail(ErrorCode.updateMessage, UpdateSubcode.invalidNetworkField, at, `${what}: prefix length ${length} > ${bits}`);
    const octets = Math.ceil(length / 8);
    if (octets > r.remaining) {
      bgpFail(ErrorCode.updateMessage, UpdateSubcode.invalidNetworkField, at, `${what}: /${length} needs ${octets} octets, ${r.remaining} left`);
    }
    let value = 0n;
    const view = r.bytesView(octets);
    for (let i = 0; i < octets; i++) value = (value << 8n) | BigInt(view[i] as number);
    value <<= BigInt(bits - 8 * octets);
    const host = BigInt(bits - length);
    value = (value >> host) << host;
    out.push(formatPrefix({ family, length, value }));
  }
  return out;
}
