import { bitsOf, IpParseError, parseIp, type Family } from "./ip.js";

/** A block of addresses, first..last inclusive; a CIDR is the special case of an aligned power-of-two range. */
export type IpRange = { family: Family; first: bigint; last: bigint };

export function parseCidr(text: string): IpRange & { prefix: number } {
  const [addr, len, extra] = text.split("/");
  if (addr === undefined || len === undefined || extra !== undefined) throw new IpParseError(text, "expected ADDRESS/PREFIX");
  const ip = parseIp(addr);
  const bits = bitsOf(ip.family);
  if (!/^[0-9]{1,3}$/.test(len) || Number(len) > bits) throw new IpParseError(text, `prefix length must be 0..${bits}`);
  const prefix = Number(len);
  const hostBits = BigInt(bits - prefix);
  const first = (ip.value >> hostBits) << hostBits;
  return { family: ip.family, first, last: first + (1n << hostBits) - 1n, prefix };
}

/** A MetalLB pool entry: "198.18.0.0/24" or "198.18.0.10-198.18.0.20". */
export function parseAddressBlock(text: string): IpRange {
  const trimmed = text.trim();
  if (trimmed.includes("/")) {
    const { family, first, last } = parseCidr(trimmed);
    return { family, first, last };
  }
  const [from, to, extra] = trimmed.split("-");
  if (from === undefined || to === undefined || extra !== undefined) throw new IpParseError(text, "expected a CIDR or FIRST-LAST range");
  const a = parseIp(from.trim());
  const b = parseIp(to.trim());
  if (a.family !== b.family) throw new IpParseError(text, "range ends are of different families");
  if (a.value > b.value) throw new IpParseError(text, "range start is after its end");
  return { family: a.family, first: a.value, last: b.value };
}

export function rangeContains(range: IpRange, ip: { family: Family; value: bigint }): boolean {
  return range.family === ip.family && ip.value >= range.first && ip.value <= range.last;
}

/** Number of addresses in the range, exact for any prefix length. */
export function rangeSize(range: IpRange): bigint {
  return range.last - range.first + 1n;
}

export function rangesOverlap(a: IpRange, b: IpRange): boolean {
  return a.family === b.family && a.first <= b.last && b.first <= a.last;
}

/** How many values v in [first, last] have v mod modulus === residue: exact bigint arithmetic. */
export function countCongruent(first: bigint, last: bigint, modulus: bigint, residue: bigint): bigint {
  if (last < first) return 0n;
  const upTo = (x: bigint): bigint => (x < residue ? 0n : (x - residue) / modulus + 1n);
  return upTo(last) - (first === 0n ? 0n : upTo(first - 1n));
}
