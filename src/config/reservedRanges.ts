import { parseAddressBlock, rangesOverlap, type IpRange } from "../net/cidr.js";

// Addresses that can never be a Service's external IP: a pool holding any of them is refused (a vipmesh rule beyond
// MetalLB's, which accepts 0.0.0.0/0: with an aggregationLength of 1 that pool would announce half the Internet).
// Loopback stays allowed: single-host setups and tests answer for loopback VIPs.

const RESERVED: readonly { block: string; what: string }[] = [
  { block: "0.0.0.0/8", what: "this-network" },
  { block: "169.254.0.0/16", what: "link-local" },
  { block: "224.0.0.0/4", what: "multicast" },
  { block: "240.0.0.0/4", what: "reserved (and broadcast)" },
  { block: "::/128", what: "unspecified" },
  { block: "::ffff:0:0/96", what: "IPv4-mapped" },
  { block: "fe80::/10", what: "link-local" },
  { block: "ff00::/8", what: "multicast" },
];
const RANGES: readonly { range: IpRange; block: string; what: string }[] = RESERVED.map((r) => ({ ...r, range: parseAddressBlock(r.block) }));

/** The reserved block `range` reaches into, as "this-network addresses (0.0.0.0/8)"; null when none. */
export function reservedOverlap(range: IpRange): string | null {
  const hit = RANGES.find((r) => rangesOverlap(r.range, range));
  return hit === undefined ? null : `${hit.what} addresses (${hit.block})`;
}
