import type { LogState } from "../logState.js";
import type { MembershipState } from "../membership.js";
import { planClaims } from "../ownershipPlan.js";
import { rendezvousScore } from "../rendezvous.js";
import type { MembershipSettings } from "../settings.js";

// Who watches whom (design.md, "Membership: watchers and verdicts"), as a pure function of the projection: each
// node is watched by the `k` nodes that rank highest for it in rendezvous order, and an owner also by the nodes the
// plan would name as the next owners of its VIPs, so whoever takes a VIP over is among those who judge its owner.
// Rendezvous order keeps the rings stable: a node joining or leaving changes only the rings it ranks into or out of.

export const DEFAULT_WATCHERS = 3;

/** The `k` nodes of `roster` (other than `target`) that rank highest for it; ties by name. */
export function ringWatchers(target: string, roster: readonly string[], k: number): string[] {
  return roster
    .filter((n) => n !== target)
    .map((n) => ({ n, score: rendezvousScore(`watch:${target}`, n) }))
    .sort((a, b) => b.score - a.score || (a.n < b.n ? -1 : a.n > b.n ? 1 : 0))
    .slice(0, k)
    .map((x) => x.n);
}

/** The nodes the plan would give `target`'s VIPs if it were dead now. */
export function nextOwners(target: string, log: LogState, members: MembershipState, settings: MembershipSettings): string[] {
  const record = members.nodes[target];
  if (!record || !Object.values(log.vips).some((v) => v.owner === target)) return [];
  const withoutTarget: MembershipState = { ...members, nodes: { ...members.nodes, [target]: { ...record, status: "dead" } } };
  const next = planClaims(log, withoutTarget, settings).filter((c) => c.evidence.previousOwner === target).map((c) => c.node);
  return [...new Set(next)].sort();
}

/** Every node designated to watch `target`: its ring and its VIPs' next owners, in name order. */
export function designatedWatchers(target: string, roster: readonly string[], log: LogState, members: MembershipState, settings: MembershipSettings, k = DEFAULT_WATCHERS): string[] {
  const all = new Set([...ringWatchers(target, roster, k), ...nextOwners(target, log, members, settings)]);
  all.delete(target);
  return [...all].sort();
}

/** Whom `watcher` watches: the inverse of `designatedWatchers` over the roster (what a speaker probes). */
export function watchedBy(watcher: string, roster: readonly string[], log: LogState, members: MembershipState, settings: MembershipSettings, k = DEFAULT_WATCHERS): string[] {
  return roster.filter((t) => t !== watcher && designatedWatchers(t, roster, log, members, settings, k).includes(watcher));
}
