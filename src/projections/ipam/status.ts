import type { ClusterConfig } from "../../config/types.js";
import { parseIp } from "../../net/ip.js";
import type { LogState } from "../logState.js";
import { configIndex, isBuggyIp, poolAdmits, poolContaining } from "./configIndex.js";
import { planIpam, type IpamOptions, type ServiceIpam } from "./plan.js";
import { ipRecords, type IpamState } from "./state.js";
import { poolUsage, type PoolUsage } from "./usage.js";

// IPAM status, derived from the projection alone: each Service's IPs or the reason it has none, pool usage,
// and allocations a pool edit no longer covers (kept, never renumbered, reported until the user acts).

export const WARNING_CODES = ["outside-pools", "pool-disallows", "buggy-ip", "service-gone"] as const;
export type AllocationWarning = { ip: string; service: string; code: (typeof WARNING_CODES)[number]; detail: string };

export type IpamStatus = { services: ServiceIpam[]; pools: PoolUsage[]; warnings: AllocationWarning[]; rejectedClaims: number };

export function allocationWarnings(config: ClusterConfig, ipam: IpamState): AllocationWarning[] {
  const cfg = configIndex(config);
  const warnings: AllocationWarning[] = [];
  for (const [ip, record] of ipRecords(ipam)) {
    for (const h of record.holders) {
      const svc = cfg.byKey.get(h.service);
      const parsed = parseIp(ip);
      const pool = poolContaining(cfg, parsed);
      const warn = (code: AllocationWarning["code"], detail: string): number => warnings.push({ ip, service: h.service, code, detail });
      if (!svc) warn("service-gone", "the Service is gone; its allocator releases the IP");
      else if (!pool) warn("outside-pools", `no pool contains ${ip} any more (allocated from ${h.pool ?? "?"}); kept until the Service changes`);
      else if (!poolAdmits(pool, svc)) warn("pool-disallows", `pool ${pool.name}'s serviceAllocation no longer admits the Service; kept`);
      else if (pool.config.avoidBuggyIPs && isBuggyIp(parsed.family, parsed.value)) warn("buggy-ip", `pool ${pool.name} now avoids .0/.255 addresses; kept`);
    }
  }
  return warnings;
}

export function ipamStatus(log: LogState, opts: IpamOptions): IpamStatus {
  const config = log.config?.config;
  if (!config) return { services: [], pools: [], warnings: [], rejectedClaims: log.ipam.rejected };
  return {
    services: planIpam(log, opts).services,
    pools: poolUsage(config, log.ipam),
    warnings: allocationWarnings(config, log.ipam),
    rejectedClaims: log.ipam.rejected,
  };
}
