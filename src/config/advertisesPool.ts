import { anySelectorMatches } from "./selectors.js";
import type { LabelSelector, PoolConfig } from "./types.js";

/** MetalLB's rule for L2 and BGP advertisements alike: no pool named or selected means every pool. */
export function advertisesPool(ad: { ipAddressPools: readonly string[]; ipAddressPoolSelectors: readonly LabelSelector[] }, pool: PoolConfig): boolean {
  if (ad.ipAddressPools.length === 0 && ad.ipAddressPoolSelectors.length === 0) return true;
  return ad.ipAddressPools.includes(pool.name) || (ad.ipAddressPoolSelectors.length > 0 && anySelectorMatches(ad.ipAddressPoolSelectors, pool.labels));
}
