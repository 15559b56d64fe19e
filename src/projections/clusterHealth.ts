import { CLAIM_REASONS, type ClaimReason } from "../events/types.js";
import type { LogState } from "./logState.js";
import type { MembershipState } from "./membership.js";
import { vipCatalog } from "./vipCatalog.js";

// What the metrics say about the cluster as one agent's view sees it: membership per status, VIPs nobody live
// answers for, and the ownership changes between two states of the log (failovers, by the claim's reason).

export const MEMBER_STATUSES = ["alive", "suspect", "dead", "left"] as const;
export type MemberStatus = (typeof MEMBER_STATUSES)[number];

/** Left: the node published a leave for its current incarnation; else its status from the heartbeats. */
export function membersByStatus(log: LogState, members: MembershipState): Record<MemberStatus, number> {
  const counts: Record<MemberStatus, number> = { alive: 0, suspect: 0, dead: 0, left: 0 };
  for (const m of Object.values(members.nodes)) counts[hasLeft(log, m.node, m.incarnation) ? "left" : m.status]++;
  return counts;
}

const hasLeft = (log: LogState, node: string, incarnation: number): boolean => (log.left[node] ?? -1) >= incarnation;

/**
 * The L2 VIPs (allocated, held by a configured Service, advertised) whose owner on the log is nobody, a node this
 * view has not heard, a dead node, or a node that left. A failover makes one for the detection time; one that stays
 * has no eligible node.
 */
export function vipsWithoutLiveOwner(log: LogState, members: MembershipState): string[] {
  return vipCatalog(log)
    .filter((e) => e.advertisements.length > 0)
    .filter((e) => {
      const record = log.vips[e.vip];
      const owner = record?.owner ? members.nodes[record.owner] : undefined;
      return !owner || owner.status === "dead" || hasLeft(log, owner.node, record?.incarnation ?? 0);
    })
    .map((e) => e.vip);
}

/** Reasons a VIP moves from one node to another (a first claim, "unowned", is no failover). */
export const FAILOVER_REASONS = CLAIM_REASONS.filter((r) => r !== "unowned");

/** The VIPs that changed owner between `before` and `after` (two states of the same log), with the new claim's reason. */
export function ownerChanges(before: LogState["vips"], after: LogState["vips"]): { vip: string; reason: ClaimReason }[] {
  if (before === after) return [];
  const changes: { vip: string; reason: ClaimReason }[] = [];
  for (const [vip, record] of Object.entries(after)) {
    const was = before[vip];
    if (record === was || !record.owner || record.reason === null) continue;
    if (was?.owner && was.owner !== record.owner && record.term > was.term) changes.push({ vip, reason: record.reason });
  }
  return changes;
}
