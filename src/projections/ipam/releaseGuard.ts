import type { ClusterConfig } from "../../config/types.js";
import type { ReleaseReason } from "../../events/types.js";
import { configIndex } from "./configIndex.js";
import { verdict } from "./keep.js";
import { ipRecords, type IpamState } from "./state.js";

// The guard on configuration changes: one change that would make the allocators release more than a share of the
// current allocations is held (reported, not published) unless it is forced. A half-written file or a wrong
// Kubernetes view that lost most Services must not release their IPs; an operator who means it says so.

export type ForeseenRelease = { service: string; ip: string; reason: ReleaseReason };

export type ReleaseGuardSettings = {
  /** The largest share of allocations, in percent, one change may release; 100 turns the guard off. */
  maxSharePercent: number;
};

export const DEFAULT_RELEASE_GUARD: ReleaseGuardSettings = { maxSharePercent: 50 };

/** A change releasing a single allocation is never held: deleting the only Service of a small cluster is ordinary. */
const MIN_HELD_RELEASES = 2;

export type GuardDecision =
  | { kind: "apply"; releases: number }
  | { kind: "hold"; releases: ForeseenRelease[]; allocations: number; maxSharePercent: number };

/** Every (Service, IP) held on the log. */
export function allocationCount(ipam: IpamState): number {
  let n = 0;
  for (const [, record] of ipRecords(ipam)) n += record.holders.length;
  return n;
}

/**
 * The allocations that `after` would make the allocators release and `before` would not (releases already due
 * are not this change's). Each holder is judged as its own class's allocator judges it.
 */
export function releasesCausedBy(ipam: IpamState, before: ClusterConfig | null, after: ClusterConfig): ForeseenRelease[] {
  const next = configIndex(after);
  const prev = before ? configIndex(before) : null;
  const out: ForeseenRelease[] = [];
  for (const [ip, record] of ipRecords(ipam)) {
    for (const holder of record.holders) {
      const v = verdict(next, next.byKey.get(holder.service), holder.lbClass, ip, record, holder);
      if (v.kind !== "release") continue;
      if (prev && verdict(prev, prev.byKey.get(holder.service), holder.lbClass, ip, record, holder).kind === "release") continue;
      out.push({ service: holder.service, ip, reason: v.reason });
    }
  }
  return out.sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : a.ip < b.ip ? -1 : 1));
}

/** Whether the change from `before` to `after` may be published; `forced`: the source said it means it. */
export function guardConfigChange(ipam: IpamState, before: ClusterConfig | null, after: ClusterConfig, settings: ReleaseGuardSettings, forced: boolean): GuardDecision {
  if (forced || settings.maxSharePercent >= 100) return { kind: "apply", releases: 0 };
  const releases = releasesCausedBy(ipam, before, after);
  const allocations = allocationCount(ipam);
  const tooMany = releases.length >= MIN_HELD_RELEASES && releases.length * 100 > settings.maxSharePercent * allocations;
  return tooMany ? { kind: "hold", releases, allocations, maxSharePercent: settings.maxSharePercent } : { kind: "apply", releases: releases.length };
}

/** How a held change is reported: counts, and the first Services it would release. */
export function describeHeldChange(d: Extract<GuardDecision, { kind: "hold" }>, listed = 20): { releases: number; allocations: number; maxSharePercent: number; services: string[] } {
  const services = [...new Set(d.releases.map((r) => r.service))];
  const shown = services.slice(0, listed);
  if (services.length > listed) shown.push(`… and ${services.length - listed} more`);
  return { releases: d.releases.length, allocations: d.allocations, maxSharePercent: d.maxSharePercent, services: shown };
}
