import type { BfdProfileConfig, BgpAdvertisementConfig, BgpPeerConfig, ClusterConfig, L2AdvertisementConfig, NamespaceConfig, NodeConfig, PoolConfig, ServiceConfig } from "./types.js";
import { serviceKey } from "./types.js";

// A configuration as a set of objects, one per kind and name (design.md, "Configuration as per-object events"): what
// a source publishes one by one, and what the projection puts back together. Pure.

export const CONFIG_OBJECT_KINDS = ["pool", "l2adv", "bgppeer", "bgpadv", "bfdprofile", "service", "node", "namespace"] as const;
export type ConfigObjectKind = (typeof CONFIG_OBJECT_KINDS)[number];

export type ConfigObjectOf = {
  pool: PoolConfig;
  l2adv: L2AdvertisementConfig;
  bgppeer: BgpPeerConfig;
  bgpadv: BgpAdvertisementConfig;
  bfdprofile: BfdProfileConfig;
  service: ServiceConfig;
  node: NodeConfig;
  namespace: NamespaceConfig;
};

/** One object with its kind. */
export type ConfigItem = { [K in ConfigObjectKind]: { kind: K; value: ConfigObjectOf[K] } }[ConfigObjectKind];

/** A change to one object: its new value, or null when it is deleted. */
export type ConfigChange = { kind: ConfigObjectKind; name: string; item: ConfigItem | null };

/** The name an object is known by within its kind: "namespace/name" for a Service, else its name. */
export function nameOf(item: ConfigItem): string {
  return item.kind === "service" ? serviceKey(item.value) : item.value.name;
}

const byName = <T>(name: (x: T) => string) => (a: T, b: T): number => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0);

/** Every object of `config`, kinds in the order above, names in code-unit order. */
export function objectsOf(config: ClusterConfig): ConfigItem[] {
  const items: ConfigItem[] = [
    ...config.pools.map((value) => ({ kind: "pool", value }) as const),
    ...config.l2Advertisements.map((value) => ({ kind: "l2adv", value }) as const),
    ...(config.bgp?.peers ?? []).map((value) => ({ kind: "bgppeer", value }) as const),
    ...(config.bgp?.advertisements ?? []).map((value) => ({ kind: "bgpadv", value }) as const),
    ...(config.bgp?.bfdProfiles ?? []).map((value) => ({ kind: "bfdprofile", value }) as const),
    ...config.services.map((value) => ({ kind: "service", value }) as const),
    ...config.nodes.map((value) => ({ kind: "node", value }) as const),
    ...config.namespaces.map((value) => ({ kind: "namespace", value }) as const),
  ];
  const order = (i: ConfigItem): number => CONFIG_OBJECT_KINDS.indexOf(i.kind);
  return items.sort((a, b) => order(a) - order(b) || byName(nameOf)(a, b));
}

/** A key unique across kinds. */
export const itemKey = (kind: ConfigObjectKind, name: string): string => `${kind}/${name}`;

/** JSON with object keys sorted, so equal objects compare equal whatever order their fields were built in. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (v !== null && typeof v === "object" && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1))) : v));
}

/**
 * The changes that turn `from` into `to`: deletions first, then objects created or changed, each group in
 * `objectsOf` order; empty when they hold the same objects (whatever their order in the arrays).
 */
export function diffConfigs(from: ClusterConfig | null, to: ClusterConfig): ConfigChange[] {
  const before = new Map((from ? objectsOf(from) : []).map((i) => [itemKey(i.kind, nameOf(i)), i]));
  const after = objectsOf(to);
  const afterKeys = new Set(after.map((i) => itemKey(i.kind, nameOf(i))));
  const deleted: ConfigChange[] = [...before.values()].filter((i) => !afterKeys.has(itemKey(i.kind, nameOf(i)))).map((i) => ({ kind: i.kind, name: nameOf(i), item: null }));
  const changed: ConfigChange[] = [];
  for (const item of after) {
    const old = before.get(itemKey(item.kind, nameOf(item)));
    if (old === undefined || canonicalJson(old.value) !== canonicalJson(item.value)) changed.push({ kind: item.kind, name: nameOf(item), item });
  }
  return [...deleted, ...changed];
}

export const EMPTY_CLUSTER_CONFIG: ClusterConfig = { pools: [], l2Advertisements: [], services: [], nodes: [], namespaces: [] };

/**
 * `list` (in name order) with each change to it: the entry named replaced, inserted or (value null) removed. A few
 * changes are spliced in (binary search); many are merged through a map and sorted once.
 */
function withChanges<T>(list: readonly T[], changes: readonly { name: string; value: T | null }[], nameOfEntry: (x: T) => string): readonly T[] {
  if (changes.length === 0) return list;
  if (changes.length > 8) {
    const byKey = new Map(list.map((x) => [nameOfEntry(x), x]));
    for (const c of changes) {
      if (c.value === null) byKey.delete(c.name);
      else byKey.set(c.name, c.value);
    }
    return [...byKey.keys()].sort().map((k) => byKey.get(k) as T);
  }
  const next = list.slice();
  for (const c of changes) {
    let lo = 0;
    let hi = next.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (nameOfEntry(next[mid] as T) < c.name) lo = mid + 1;
      else hi = mid;
    }
    const found = lo < next.length && nameOfEntry(next[lo] as T) === c.name;
    if (c.value === null) {
      if (found) next.splice(lo, 1);
    } else next.splice(lo, found ? 1 : 0, c.value);
  }
  return next;
}

const named = (x: { name: string }): string => x.name;

function changesOf<K extends ConfigObjectKind>(changes: readonly ConfigChange[], kind: K): { name: string; value: ConfigObjectOf[K] | null }[] {
  return changes.filter((c) => c.kind === kind).map((c) => ({ name: c.name, value: (c.item?.value ?? null) as ConfigObjectOf[K] | null }));
}

/**
 * `config` (arrays in name order, as this function keeps them) with `changes` applied; arrays no change touches are
 * shared with `config`. `bgp` is present while any BGP object is, as the builders make it.
 */
export function applyChanges(config: ClusterConfig, changes: readonly ConfigChange[]): ClusterConfig {
  const peers = withChanges(config.bgp?.peers ?? [], changesOf(changes, "bgppeer"), named);
  const advertisements = withChanges(config.bgp?.advertisements ?? [], changesOf(changes, "bgpadv"), named);
  const profiles = withChanges(config.bgp?.bfdProfiles ?? [], changesOf(changes, "bfdprofile"), named);
  const hasBgp = peers.length + advertisements.length + profiles.length > 0;
  const bgp = hasBgp ? { peers: [...peers], advertisements: [...advertisements], ...(profiles.length > 0 ? { bfdProfiles: [...profiles] } : {}) } : null;
  return {
    pools: withChanges(config.pools, changesOf(changes, "pool"), named) as PoolConfig[],
    l2Advertisements: withChanges(config.l2Advertisements, changesOf(changes, "l2adv"), named) as L2AdvertisementConfig[],
    services: withChanges(config.services, changesOf(changes, "service"), serviceKey) as ServiceConfig[],
    nodes: withChanges(config.nodes, changesOf(changes, "node"), named) as NodeConfig[],
    namespaces: withChanges(config.namespaces, changesOf(changes, "namespace"), named) as NamespaceConfig[],
    ...(bgp ? { bgp } : {}),
  };
}

/** `config` in the form `applyChanges` keeps: every array in name order, `bgp` only with BGP objects. */
export function canonicalConfig(config: ClusterConfig): ClusterConfig {
  return applyChanges(EMPTY_CLUSTER_CONFIG, objectsOf(config).map((item) => ({ kind: item.kind, name: nameOf(item), item })));
}
