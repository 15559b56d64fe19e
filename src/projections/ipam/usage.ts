import { countCongruent, rangeContains, rangeSize, type IpRange } from "../../net/cidr.js";
import { parseIp, type Family } from "../../net/ip.js";
import { configIndex, isBuggyIp, type CompiledPool } from "./configIndex.js";
import { ipRecords, type IpamState } from "./state.js";
import type { ClusterConfig } from "../../config/types.js";

// Pool usage for status and metrics, exact for any pool size: totals are 128-bit arithmetic, carried as
// decimal strings (a /64 holds 2^64 addresses); assigned counts are numbers (bounded by allocations).

export type FamilyUsage = { total: string; assigned: number; available: string };
export type PoolUsage = { pool: string; v4: FamilyUsage; v6: FamilyUsage };

/** Addresses MetalLB may hand out from a block: all of them, less .0 and .255 when the pool avoids buggy IPs. */
export function usableCount(range: IpRange, avoidBuggyIPs: boolean): bigint {
  const size = rangeSize(range);
  if (!avoidBuggyIPs || range.family !== 4) return size;
  return size - countCongruent(range.first, range.last, 256n, 0n) - countCongruent(range.first, range.last, 256n, 255n);
}

type Tally = { total: bigint; assigned: number; assignedUsable: number };

function usageOf(pool: CompiledPool, held: readonly { family: Family; value: bigint }[]): PoolUsage {
  const tally: Record<Family, Tally> = { 4: { total: 0n, assigned: 0, assignedUsable: 0 }, 6: { total: 0n, assigned: 0, assignedUsable: 0 } };
  for (const range of pool.ranges) tally[range.family].total += usableCount(range, pool.config.avoidBuggyIPs);
  for (const ip of held) {
    if (!pool.ranges.some((r) => rangeContains(r, ip))) continue;
    tally[ip.family].assigned++;
    if (!(pool.config.avoidBuggyIPs && isBuggyIp(ip.family, ip.value))) tally[ip.family].assignedUsable++;
  }
  const out = (t: Tally): FamilyUsage => ({ total: String(t.total), assigned: t.assigned, available: String(t.total - BigInt(t.assignedUsable)) });
  return { pool: pool.name, v4: out(tally[4]), v6: out(tally[6]) };
}

export function poolUsage(config: ClusterConfig, ipam: IpamState): PoolUsage[] {
  const held: { family: Family; value: bigint }[] = [];
  for (const [ip, record] of ipRecords(ipam)) if (record.holders.length > 0) held.push(parseIp(ip));
  return configIndex(config).pools.map((pool) => usageOf(pool, held));
}
