import { anySelectorMatches, selectorMatches } from "../../config/selectors.js";
import { serviceKey, type ClusterConfig, type PoolConfig, type ServiceConfig } from "../../config/types.js";
import { parseAddressBlock, rangeContains, type IpRange } from "../../net/cidr.js";
import type { Family, ParsedIp } from "../../net/ip.js";

// The configuration compiled once per ConfigApplied (memoised on the config object): pools with parsed
// ranges and resolved namespaces, Services sorted by key. Every order here is deterministic and documented
// in docs/design.md ("IPAM tie-breaks").

export type CompiledPool = {
  config: PoolConfig;
  name: string;
  /** Address blocks in the order the pool lists them. */
  ranges: IpRange[];
  families: ReadonlySet<Family>;
  /** Namespaces the pool's serviceAllocation admits; null when it admits every namespace. */
  namespaces: ReadonlySet<string> | null;
};

export type ConfigIndex = {
  pools: CompiledPool[];
  byName: Map<string, CompiledPool>;
  /** Services sorted by "namespace/name" (code-unit order). */
  services: ServiceConfig[];
  /** serviceKey of each entry of `services`, same order. */
  keys: string[];
  byKey: Map<string, ServiceConfig>;
  /** autoAssign pools without serviceAllocation, by name: used when no pinned pool can serve. */
  fallback: CompiledPool[];
};

const cache = new WeakMap<ClusterConfig, ConfigIndex>();

const byText = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * MetalLB resolves `namespaces` plus the namespaces `namespaceSelectors` match. Unlike MetalLB, selectors that
 * match no namespace admit none (MetalLB would then admit every namespace).
 */
function admittedNamespaces(pool: PoolConfig, config: ClusterConfig): ReadonlySet<string> | null {
  const sa = pool.serviceAllocation;
  if (!sa || (sa.namespaces.length === 0 && sa.namespaceSelectors.length === 0)) return null;
  const names = new Set(sa.namespaces);
  for (const ns of config.namespaces) {
    if (sa.namespaceSelectors.some((s) => selectorMatches(s, ns.labels))) names.add(ns.name);
  }
  return names;
}

function compilePool(pool: PoolConfig, config: ClusterConfig): CompiledPool {
  const ranges = pool.addresses.map(parseAddressBlock);
  return { config: pool, name: pool.name, ranges, families: new Set(ranges.map((r) => r.family)), namespaces: admittedNamespaces(pool, config) };
}

export function configIndex(config: ClusterConfig): ConfigIndex {
  const hit = cache.get(config);
  if (hit) return hit;
  const pools = config.pools.map((p) => compilePool(p, config));
  const byName = new Map<string, CompiledPool>();
  for (const pool of pools) if (!byName.has(pool.name)) byName.set(pool.name, pool);
  const keyed = config.services.map((s) => [serviceKey(s), s] as const).sort(([a], [b]) => byText(a, b));
  const index: ConfigIndex = {
    pools,
    byName,
    services: keyed.map(([, s]) => s),
    keys: keyed.map(([k]) => k),
    byKey: new Map(keyed),
    fallback: pools.filter((p) => p.config.autoAssign && !p.config.serviceAllocation).sort((a, b) => byText(a.name, b.name)),
  };
  cache.set(config, index);
  return index;
}

/** MetalLB's isPoolCompatibleWithService: the pool's serviceAllocation admits the Service's namespace and labels. */
export function poolAdmits(pool: CompiledPool, service: ServiceConfig): boolean {
  const sa = pool.config.serviceAllocation;
  if (!sa) return true;
  if (pool.namespaces && !pool.namespaces.has(service.namespace)) return false;
  return sa.serviceSelectors.length === 0 || anySelectorMatches(sa.serviceSelectors, service.labels);
}

/**
 * Pools pinned to the Service by a matching serviceAllocation (autoAssign only), by priority: set priorities
 * (>= 1) ascending, then unset (0); ties by pool name.
 */
export function pinnedPools(index: ConfigIndex, service: ServiceConfig): CompiledPool[] {
  const rank = (p: CompiledPool): number => p.config.serviceAllocation?.priority || Number.MAX_SAFE_INTEGER;
  return index.pools
    .filter((p) => p.config.serviceAllocation && p.config.autoAssign && poolAdmits(p, service))
    .sort((a, b) => rank(a) - rank(b) || byText(a.name, b.name));
}

/** The pool whose blocks contain the address (pools never overlap; if a config slipped through, the first listed). */
export function poolContaining(index: ConfigIndex, ip: ParsedIp): CompiledPool | null {
  return index.pools.find((p) => p.ranges.some((r) => rangeContains(r, ip))) ?? null;
}

/** MetalLB's "buggy" addresses: IPv4 ending in .0 or .255, which some consumer firmwares drop. */
export function isBuggyIp(family: Family, value: bigint): boolean {
  if (family !== 4) return false;
  const last = value & 0xffn;
  return last === 0n || last === 0xffn;
}
