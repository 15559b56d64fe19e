import { current, isDraft } from "immer";
import type { LogState } from "../logState.js";
import { ownerHasLeft } from "../logState.js";
import type { MemberRecord, MembershipState } from "../membership.js";
import { DEFAULT_MEMBERSHIP_SETTINGS, type MembershipSettings } from "../settings.js";
import { emptyVerdicts, type VerdictState, type WatchersAt } from "./verdicts.js";
import { designatedWatchers } from "./watchers.js";

// Membership in `verdicts` mode (design.md, "Membership: watchers and verdicts"): a pure function of EVENTS alone.
// A node is a member from its join (its first NodeFactsChanged of an incarnation), alive until a designated watcher's
// verdict says otherwise, gone once it left; no heartbeat timing is involved, so a replay of EVENTS reconstructs every
// status exactly. The ownership plan reads the MembershipState built here instead of the heartbeat one.

/** The verdicts of a state written before verdicts were part of it (an old snapshot's): none. */
export const verdictsOf = (log: LogState): VerdictState => log.verdicts ?? emptyVerdicts();

/**
 * Membership as the plan reads it: every joined node with the status its verdicts give it. A node has no join
 * hysteresis here (its join is one durable event, not a streak of beats), no health score (its watchers widened their
 * timeouts before judging), and a dead node is at once `overdue` (the verdict is final for its incarnation).
 * `incarnation` is the one of the node's facts (its process's, which its claims and leave carry); a refutation's
 * higher verdict incarnation stays in the verdict state.
 */
export function verdictMembers(log: LogState, settings: MembershipSettings): MembershipState {
  const nodes: Record<string, MemberRecord> = {};
  for (const [node, target] of Object.entries(verdictsOf(log).targets)) {
    const facts = log.nodeFacts?.[node];
    const heardAt = target.status === "dead" ? (target.lastReplyAt ?? target.at ?? log.time) : log.time;
    nodes[node] = {
      node,
      incarnation: facts?.incarnation ?? target.incarnation,
      beat: 0,
      status: target.status,
      ready: true,
      version: facts?.version ?? "",
      interfaces: null,
      lastHeardAt: heardAt,
      lastHeardLive: heardAt,
      streak: settings.joinBeats,
      health: null,
      beatLateMs: 0,
      overdue: target.status === "dead",
    };
  }
  return {
    seq: log.seq, time: log.time, live: log.time, nodes, ignoredBeats: 0, refusedIdentity: 0, graceUntilLive: 0,
    sweepAfterLive: Number.MAX_SAFE_INTEGER, heldByGrace: false, epoch: 0,
  };
}

/** The nodes that may judge others: joined, not declared dead, not left. */
export function watcherRoster(log: LogState, members: MembershipState): string[] {
  return Object.values(members.nodes)
    .filter((m) => m.status !== "dead" && !ownerHasLeft(log, m.node, m.incarnation))
    .map((m) => m.node)
    .sort();
}

/**
 * Who may judge whom, from the projection just before the verdict is stored. That is the state at the verdict's
 * position or later (the verdict's `position` may not be later than its own sequence); checking there is what every
 * replica can do without keeping past states. A verdict on a target that owns VIPs costs one plan (its next owners),
 * computed only when a verdict arrives, which happens on a failure, not per beat.
 */
export function watchersAtIn(log: LogState): WatchersAt {
  return (target) => {
    const plain = isDraft(log) ? current(log) : log;
    const settings = DEFAULT_MEMBERSHIP_SETTINGS; // the plan below is independent of the settings: see verdictMembers
    const members = verdictMembers(plain, settings);
    return designatedWatchers(target, watcherRoster(plain, members), plain, members, settings);
  };
}
