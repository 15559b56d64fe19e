import { parseIp, type ParsedIp } from "../net/ip.js";
import { parseAddressBlock, rangeContains } from "../net/cidr.js";
import { anySelectorMatches } from "../config/selectors.js";
import type { ClusterConfig, L2AdvertisementConfig, PoolConfig, ServiceConfig } from "../config/types.js";

/** One announced address with everything that decides who may answer for it. */
export type VipEntry = {
  vip: string;
  ip: ParsedIp;
  pool: PoolConfig | null;
  advertisements: L2AdvertisementConfig[];
  services: ServiceConfig[];
};

const cache = new WeakMap<ClusterConfig, VipEntry[]>();

/** VIPs in a stable order (by address text), memoised per config object: immer keeps it while it is unchanged. */
export function vipCatalog(config: ClusterConfig): VipEntry[] {
  const hit = cache.get(config);
  if (hit) return hit;
  const pools = config.pools.map((pool) => ({ pool, ranges: pool.addresses.map(parseAddressBlock) }));
  const byVip = new Map<string, ServiceConfig[]>();
  for (const service of config.services) {
    for (const vip of service.ips) byVip.set(vip, [...(byVip.get(vip) ?? []), service]);
  }
  const entries = [...byVip.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([vip, services]) => {
      const ip = parseIp(vip);
      const pool = pools.find((p) => p.ranges.some((r) => rangeContains(r, ip)))?.pool ?? null;
      const advertisements = pool ? config.l2Advertisements.filter((ad) => advertisesPool(ad, pool)) : [];
      return { vip, ip, pool, advertisements, services };
    });
  cache.set(config, entries);
  return entries;
}

function advertisesPool(ad: L2AdvertisementConfig, pool: PoolConfig): boolean {
  if (ad.ipAddressPools.length === 0 && ad.ipAddressPoolSelectors.length === 0) return true;
  return ad.ipAddressPools.includes(pool.name) || (ad.ipAddressPoolSelectors.length > 0 && anySelectorMatches(ad.ipAddressPoolSelectors, pool.labels));
}
