import { parseAddressBlock, type IpRange } from "../net/cidr.js";
import { bitsOf } from "../net/ip.js";
import { anySelectorMatches } from "./selectors.js";
import type { BgpAdvertisementConfig, PoolConfig } from "./types.js";

// MetalLB's aggregation rule: an advertisement may not aggregate a pool's addresses into a prefix shorter than the
// pool's own CIDRs (a range counts as the CIDRs that cover it exactly), or the aggregate would claim addresses
// outside the pool.

/** The longest prefix among the CIDRs that exactly cover `range`. */
export function longestPrefixIn(range: IpRange): number {
  const bits = bitsOf(range.family);
  let longest = 0;
  for (let first = range.first; first <= range.last; ) {
    let size = 0;
    while (size < bits && (first & ((1n << BigInt(size + 1)) - 1n)) === 0n && first + (1n << BigInt(size + 1)) - 1n <= range.last) size++;
    longest = Math.max(longest, bits - size);
    first += 1n << BigInt(size);
  }
  return longest;
}

export function aggregationProblems(ads: readonly BgpAdvertisementConfig[], pools: readonly PoolConfig[]): string[] {
  const problems: string[] = [];
  for (const ad of ads) {
    for (const pool of pools.filter((p) => selectsPool(ad, p))) {
      for (const text of pool.addresses) {
        let range: IpRange;
        try {
          range = parseAddressBlock(text);
        } catch {
          continue; // reported with the pool
        }
        const [field, length] = range.family === 4 ? ["aggregationLength", ad.aggregationLength] : ["aggregationLengthV6", ad.aggregationLengthV6];
        const longest = longestPrefixIn(range);
        if (longest > length) {
          problems.push(`BGPAdvertisement/${ad.name}: spec.${field}: ${length} is shorter than /${longest} in ${text} of IPAddressPool/${pool.name}`);
        }
      }
    }
  }
  return problems;
}

function selectsPool(ad: BgpAdvertisementConfig, pool: PoolConfig): boolean {
  if (ad.ipAddressPools.length === 0 && ad.ipAddressPoolSelectors.length === 0) return true;
  return ad.ipAddressPools.includes(pool.name) || (ad.ipAddressPoolSelectors.length > 0 && anySelectorMatches(ad.ipAddressPoolSelectors, pool.labels));
}
