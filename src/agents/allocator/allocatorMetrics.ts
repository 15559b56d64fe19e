import type { Registry } from "prom-client";
import { byLabel, observedCounter, observedGauge, type Sample } from "../../adapters/metrics/observed.js";
import { poolUsage, type PoolUsage } from "../../projections/ipam/usage.js";
import type { LogState } from "../../projections/logState.js";
import type { PublisherStats } from "./publisher.js";

// An allocator's metrics: MetalLB's pool gauges (same names, same `pool` label) and its own claims.

const usageCache = new WeakMap<object, { ipam: object; usage: PoolUsage[] }>();

/** Pool usage of the log's configuration and allocations, computed once per change of either. */
function usageOf(log: LogState): PoolUsage[] {
  const config = log.config?.config;
  if (!config) return [];
  const hit = usageCache.get(config);
  if (hit?.ipam === log.ipam) return hit.usage;
  const usage = poolUsage(config, log.ipam);
  usageCache.set(config, { ipam: log.ipam, usage });
  return usage;
}

const perPool = (log: LogState, value: (u: PoolUsage) => number): Sample<"pool">[] => usageOf(log).map((u) => ({ labels: { pool: u.pool }, value: value(u) }));

export function registerAllocatorMetrics(registry: Registry, src: { log: () => LogState; claims: PublisherStats }): void {
  observedGauge(registry, {
    name: "metallb_allocator_addresses_in_use_total", help: "Number of IP addresses in use, per pool", labelNames: ["pool"],
    read: () => perPool(src.log(), (u) => u.v4.assigned + u.v6.assigned),
  });
  observedGauge(registry, {
    name: "metallb_allocator_addresses_total", help: "Number of usable IP addresses, per pool", labelNames: ["pool"],
    read: () => perPool(src.log(), (u) => Number(u.v4.total) + Number(u.v6.total)),
  });
  observedCounter(registry, {
    name: "vipmesh_ip_claims_total", help: "IP claims and releases this allocator published: won, lost to a racing replica, failed to publish", labelNames: ["result"],
    read: () => byLabel("result", { won: src.claims.won, lost: src.claims.lost, failed: src.claims.failed }),
  });
}
