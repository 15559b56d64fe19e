// IPv4 and IPv6 addresses as 128-bit-safe bigints, so pool arithmetic is exact for any prefix length.
export type Family = 4 | 6;
export type ParsedIp = { family: Family; value: bigint };

export class IpParseError extends Error {
  readonly code = "INVALID_IP";
  constructor(readonly input: string, reason: string) {
    super(`invalid IP address "${input}": ${reason}`);
  }
}

export function parseIp(text: string): ParsedIp {
  return text.includes(":") ? { family: 6, value: parseIpv6(text) } : { family: 4, value: parseIpv4(text) };
}

function parseIpv4(text: string): bigint {
  const parts = text.split(".");
  if (parts.length !== 4) throw new IpParseError(text, "expected four dotted decimal octets");
  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) throw new IpParseError(text, `bad octet "${part}"`);
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseIpv6(text: string): bigint {
  const sides = text.split("::");
  if (sides.length > 2) throw new IpParseError(text, "more than one '::'");
  const toGroups = (part: string | undefined): string[] => (part === undefined || part === "" ? [] : part.split(":"));
  const head = toGroups(sides[0]);
  const tail = toGroups(sides[1]);
  const lastSide = sides.length === 2 ? tail : head;
  let embeddedV4: bigint | null = null;
  if (lastSide.at(-1)?.includes(".")) embeddedV4 = parseIpv4(lastSide.pop() ?? "");
  const wanted = embeddedV4 === null ? 8 : 6;
  let groups: string[];
  if (sides.length === 1) {
    if (head.length !== wanted) throw new IpParseError(text, `expected ${wanted} groups`);
    groups = head;
  } else {
    const fill = wanted - head.length - tail.length;
    if (fill < 1) throw new IpParseError(text, "'::' must stand for at least one group");
    groups = [...head, ...Array<string>(fill).fill("0"), ...tail];
  }
  let value = 0n;
  for (const group of groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) throw new IpParseError(text, `bad group "${group}"`);
    value = (value << 16n) | BigInt(parseInt(group, 16));
  }
  return embeddedV4 === null ? value : (value << 32n) | embeddedV4;
}

export function formatIp(ip: ParsedIp): string {
  return ip.family === 4 ? formatIpv4(ip.value) : formatIpv6(ip.value);
}

function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join(".");
}

// RFC 5952 canonical text: lowercase, no leading zeros, the longest run (>1) of zero groups as "::".
function formatIpv6(value: bigint): string {
  const groups = Array.from({ length: 8 }, (_, i) => Number((value >> BigInt(112 - 16 * i)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 1;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLength) { bestStart = i; bestLength = j - i; }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`;
}

/** The canonical text of an address, so "2001:DB8:0::1" and "2001:db8::1" name the same VIP. */
export function canonicalIp(text: string): string {
  return formatIp(parseIp(text));
}

export function bitsOf(family: Family): number {
  return family === 4 ? 32 : 128;
}

/** The family of an address already known to be canonical (or at least well-formed). */
export function familyOfText(text: string): Family {
  return text.includes(":") ? 6 : 4;
}
