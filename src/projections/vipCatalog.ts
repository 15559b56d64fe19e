import { parseIp, type ParsedIp } from "../net/ip.js";
import { advertisesPool } from "../config/advertisesPool.js";
import { anySelectorMatches } from "../config/selectors.js";
import type { ClusterConfig, L2AdvertisementConfig, PoolConfig, ServiceConfig } from "../config/types.js";
import { configIndex, poolContaining } from "./ipam/configIndex.js";
import { ipRecords, type IpamState, type IpRecord } from "./ipam/state.js";
import type { LogState } from "./logState.js";

/** One announced address with everything that decides who may answer for it. */
export type VipEntry = {
  vip: string;
  ip: ParsedIp;
  pool: PoolConfig | null;
  advertisements: L2AdvertisementConfig[];
  /** The configured Services holding the address (several when it is shared). */
  services: ServiceConfig[];
};

type Cached = { config: ClusterConfig; entries: VipEntry[] };
const cache = new WeakMap<IpamState, Cached>();
/**
 * Each IP's entry per configuration and allocation record: immer keeps a record's object while it is unchanged, so
 * a batch of allocations rebuilds the entries of its IPs only (at 10,000 VIPs a whole catalog took ~180 ms, and the
 * speakers rebuilt it for every batch while the allocators filled the pool).
 */
const entriesOf = new WeakMap<ClusterConfig, WeakMap<IpRecord, VipEntry | null>>();

/**
 * The VIPs to announce: every allocated IP held by at least one configured Service, in a stable order (by
 * address text), memoised per allocation state and config object (immer keeps both while they are unchanged).
 * The pool is the one containing the IP now, else the one it was allocated from: a pool edit that drops an
 * in-use IP is reported by IPAM but does not silence the VIP while the pool and its advertisement exist.
 */
export function vipCatalog(log: LogState): VipEntry[] {
  const config = log.config?.config;
  if (!config) return [];
  const hit = cache.get(log.ipam);
  if (hit && hit.config === config) return hit.entries;
  let memo = entriesOf.get(config);
  if (!memo) entriesOf.set(config, (memo = new WeakMap()));
  const entries: VipEntry[] = [];
  const records = new Map(ipRecords(log.ipam));
  for (const vip of [...records.keys()].sort()) {
    const record = records.get(vip);
    if (!record) continue;
    let entry = memo.get(record);
    if (entry === undefined) memo.set(record, (entry = entryFor(vip, record, config)));
    if (entry) entries.push(entry);
  }
  cache.set(log.ipam, { config, entries });
  return entries;
}

function entryFor(vip: string, record: IpRecord, config: ClusterConfig): VipEntry | null {
  const cfg = configIndex(config);
  const services = record.holders.flatMap((h) => cfg.byKey.get(h.service) ?? []);
  if (services.length === 0) return null;
  const ip = parseIp(vip);
  const allocatedFrom = record.holders[0]?.pool ?? null;
  const pool = (poolContaining(cfg, ip) ?? (allocatedFrom === null ? undefined : cfg.byName.get(allocatedFrom)))?.config ?? null;
  const advertisements = pool ? config.l2Advertisements.filter((ad) => advertisesPool(ad, pool) && selectsAnyService(ad, services)) : [];
  return { vip, ip, pool, advertisements, services };
}

/** An advertisement with serviceSelectors announces only the Services they select (a shared IP: any of them). */
function selectsAnyService(ad: L2AdvertisementConfig, services: readonly ServiceConfig[]): boolean {
  return ad.serviceSelectors.length === 0 || services.some((s) => anySelectorMatches(ad.serviceSelectors, s.labels));
}

