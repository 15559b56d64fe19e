import type { AllocationReason, SharingFacts } from "../../events/types.js";

// The allocation projection: every IP ever claimed on the log, who holds it, and each Service's IPs.
// Memory grows with the number of allocated addresses, never with the size of a pool.
//
// Both records are bucketed by key prefix (the key without its last two characters): allocations arrive in
// address order for Services in key order, so one batch touches a few small buckets and one produce copies those,
// not a record of every IP in the cluster. Read through the accessors below, never the buckets directly.

/** One Service's hold on an IP, as recorded by the claim the projection accepted. */
export type Holder = {
  service: string;
  /** The pool the IP was taken from, as configured then; kept when the pool is later edited. */
  pool: string | null;
  sharing: SharingFacts;
  /** The loadBalancerClass of the allocator that made the claim: only allocators of that class may release it. */
  lbClass: string | null;
  reason: AllocationReason;
  /** Log time and sequence of the accepted claim. */
  since: number;
  seq: number;
};

export type IpRecord = {
  /** In the order they were accepted; empty once everyone released it. */
  holders: Holder[];
  /** Sequence of the last message on this IP's claim chain (`vipmesh.ev.ip.<ip>.*`): what the next claim must expect. */
  subjectSeq: number;
};

type Buckets<T> = Record<string, Record<string, T>>;

export type IpamState = {
  /** bucket -> canonical IP -> record, in the order IPs were first claimed. */
  ips: Buckets<IpRecord>;
  /** bucket -> "namespace/name" -> held IPs, IPv4 before IPv6 (at most one of each family). */
  services: Buckets<string[]>;
  /** Claims and releases the projection refused (a lost race published without compare-and-set, a stale view). */
  rejected: number;
  lastRejection: { seq: number; ip: string; service: string; why: string } | null;
};

export const emptyIpam = (): IpamState => ({ ips: {}, services: {}, rejected: 0, lastRejection: null });

/** The bucket of an IP or a Service key. */
export const bucketOf = (key: string): string => key.slice(0, -2);

export function ipRecord(ipam: IpamState, ip: string): IpRecord | undefined {
  return ipam.ips[bucketOf(ip)]?.[ip];
}

const NONE: readonly string[] = [];

export function serviceIps(ipam: IpamState, service: string): readonly string[] {
  return ipam.services[serviceBucketOf(service)]?.[service] ?? NONE;
}

/** FNV-1a of the key, 4096 buckets: Service names have no order allocations would follow closely enough. */
export function serviceBucketOf(key: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193) >>> 0;
  return (hash & 0xfff).toString(36);
}

export function* ipRecords(ipam: IpamState): Generator<[string, IpRecord]> {
  for (const bucket of Object.values(ipam.ips)) for (const ip in bucket) yield [ip, bucket[ip] as IpRecord];
}

export function* heldServices(ipam: IpamState): Generator<[string, readonly string[]]> {
  for (const bucket of Object.values(ipam.services)) for (const svc in bucket) yield [svc, bucket[svc] as string[]];
}

const indexes = new WeakMap<IpamState["services"], ReadonlyMap<string, readonly string[]>>();

/** Service -> IPs as a Map, built once per state (the planner asks for every Service on every plan). */
export function serviceIndex(ipam: IpamState): ReadonlyMap<string, readonly string[]> {
  const hit = indexes.get(ipam.services);
  if (hit) return hit;
  const index = new Map(heldServices(ipam));
  indexes.set(ipam.services, index);
  return index;
}

/** Service -> IPs as one plain record, sorted by Service (for status, tests and tools). */
export function allocationsByService(ipam: IpamState): Record<string, string[]> {
  return Object.fromEntries([...heldServices(ipam)].map(([s, ips]) => [s, [...ips]]).sort(([a], [b]) => ((a ?? "") < (b ?? "") ? -1 : 1)));
}
