// Communities as text, the way operators write them: RFC 1997 "ASN:VALUE" (two 16-bit decimals) and RFC 8092 large
// communities "GLOBAL:LOCAL1:LOCAL2" (three 32-bit decimals). Canonical text has no leading zeros, so string equality
// is community equality. Well-known names (RFC 1997, RFC 8326, RFC 7999) map to their values.
import { EncodeError } from "../codec/errors.js";

export const WellKnownCommunity = {
  /** RFC 8326: lower the preference of these paths; the session is about to go down. */
  GRACEFUL_SHUTDOWN: "65535:0",
  /** RFC 7999 */
  BLACKHOLE: "65535:666",
  NO_EXPORT: "65535:65281",
  NO_ADVERTISE: "65535:65282",
  NO_EXPORT_SUBCONFED: "65535:65283",
  NO_PEER: "65535:65284",
} as const;

export const GRACEFUL_SHUTDOWN = WellKnownCommunity.GRACEFUL_SHUTDOWN;

const DECIMAL = /^(0|[1-9][0-9]{0,9})$/;

function fields(text: string, count: number, max: number, kind: string, field: string): number[] {
  const parts = text.split(":");
  if (parts.length !== count || !parts.every((p) => DECIMAL.test(p) && Number(p) <= max)) {
    throw new EncodeError("BGP_BAD_COMMUNITY", field, `"${text}" is not a ${kind}`);
  }
  return parts.map(Number);
}

/** "65000:100" -> 0xfde80064. Accepts the well-known names ("NO_EXPORT"). Throws EncodeError. */
export function communityToNumber(text: string, field = "communities"): number {
  const named = (WellKnownCommunity as Record<string, string>)[text];
  const [high, low] = fields(named ?? text, 2, 0xffff, "community ASN:VALUE (0..65535 each)", field) as [number, number];
  return high * 0x10000 + low;
}

export function communityFromNumber(value: number): string {
  return `${Math.floor(value / 0x10000)}:${value % 0x10000}`;
}

/** The canonical text of a community written by a person ("NO_EXPORT", "065000:01" is rejected). */
export function canonicalCommunity(text: string): string {
  return communityFromNumber(communityToNumber(text));
}

export function largeCommunityToNumbers(text: string, field = "largeCommunities"): [number, number, number] {
  return fields(text, 3, 0xffffffff, "large community GLOBAL:LOCAL1:LOCAL2 (32-bit each)", field) as [number, number, number];
}

export function largeCommunityFromNumbers(global: number, local1: number, local2: number): string {
  return `${global}:${local1}:${local2}`;
}

/** Sorted by numeric value, duplicates removed: the order vipmesh sends communities in. */
export function sortCommunities(list: readonly string[]): string[] {
  return [...new Set(list.map(canonicalCommunity))].sort((a, b) => communityToNumber(a) - communityToNumber(b));
}

export function sortLargeCommunities(list: readonly string[]): string[] {
  const key = (t: string): bigint => {
    const [g, a, b] = largeCommunityToNumbers(t);
    return (BigInt(g) << 64n) | (BigInt(a) << 32n) | BigInt(b);
  };
  const canonical = list.map((t) => largeCommunityFromNumbers(...largeCommunityToNumbers(t)));
  return [...new Set(canonical)].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}
