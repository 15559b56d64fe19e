import type { AllocationReason, SharingFacts } from "../../events/types.js";

// The allocation projection: every IP ever claimed on the log, who holds it, and each Service's IPs.
// Memory grows with the number of allocated addresses, never with the size of a pool.

/** One Service's hold on an IP, as recorded by the claim the projection accepted. */
export type Holder = {
  service: string;
  sharing: SharingFacts;
  /** The loadBalancerClass of the allocator that made the claim: only allocators of that class may release it. */
  lbClass: string | null;
  reason: AllocationReason;
  /** Log time and sequence of the accepted claim. */
  since: number;
  seq: number;
};

export type IpRecord = {
  /** The pool the first holder's IP came from, as configured then; kept when the pool is later edited. */
  pool: string | null;
  /** In the order they were accepted; empty once everyone released it. */
  holders: Holder[];
  /** Sequence of the last message on this IP's subject: what the next claim must expect. */
  subjectSeq: number;
};

export type IpamState = {
  /** Canonical IP -> record, in the order IPs were first claimed. */
  ips: Record<string, IpRecord>;
  /** "namespace/name" -> held IPs, IPv4 before IPv6 (at most one of each family). */
  services: Record<string, string[]>;
  /** Claims and releases the projection refused (a lost race published without compare-and-set, a stale view). */
  rejected: number;
  lastRejection: { seq: number; ip: string; service: string; why: string } | null;
};

export const emptyIpam = (): IpamState => ({ ips: {}, services: {}, rejected: 0, lastRejection: null });
