import type { Decoded } from "../events/entries.js";
import type { NodeHeartbeatRecorded } from "../events/types.js";
import { unfrozenImmer } from "./batch.js";
import { applyHeartbeat, applyInvalidHeartbeat, emptyMembership, type NodeStatus } from "./membership.js";
import type { MembershipSettings } from "./settings.js";

// Membership over time, for the replay's pictures: the heartbeats replayed through the same reducer every
// speaker runs, noting each node's status (and incarnation) whenever it changes. A node's leave is on EVENTS, so it
// is merged in here from the timeline; it shows until a later incarnation beats.

export type ShownStatus = NodeStatus | "left";

/** A status change of one node as the replayed membership saw it, at heartbeat log time. */
export type MemberTransition = { time: number; node: string; status: NodeStatus; incarnation: number };

export type StatusSpan = { from: number; to: number; status: ShownStatus; incarnation: number };

export type NodeLeave = { time: number; node: string; incarnation: number };

export function heartbeatTransitions(entries: readonly Decoded<NodeHeartbeatRecorded>[], settings: MembershipSettings): MemberTransition[] {
  const transitions: MemberTransition[] = [];
  const shown = new Map<string, string>();
  unfrozenImmer.produce(emptyMembership(), (draft) => {
    for (const { meta, event } of entries) {
      if (event) applyHeartbeat(draft, event, meta, settings);
      else applyInvalidHeartbeat(draft, meta, settings);
      for (const record of Object.values(draft.nodes)) {
        const key = `${record.status}/${record.incarnation}`;
        if (shown.get(record.node) === key) continue;
        shown.set(record.node, key);
        transitions.push({ time: draft.time, node: record.node, status: record.status, incarnation: record.incarnation });
      }
    }
  });
  return transitions;
}

type Change = { time: number; status: NodeStatus | null; incarnation: number };

/** One node's spans up to `end`: its heartbeat statuses, shown as "left" from a leave until a later incarnation beats. */
export function nodeSpans(transitions: readonly MemberTransition[], leaves: readonly NodeLeave[], end: number): StatusSpan[] {
  const changes: Change[] = [
    ...transitions.map((t) => ({ time: t.time, status: t.status, incarnation: t.incarnation })),
    ...leaves.map((l) => ({ time: l.time, status: null, incarnation: l.incarnation })),
  ].sort((a, b) => a.time - b.time);
  const spans: StatusSpan[] = [];
  let beatStatus: NodeStatus | null = null;
  let incarnation = 0;
  let leftIncarnation = -1;
  for (const change of changes) {
    if (change.status === null) leftIncarnation = Math.max(leftIncarnation, change.incarnation);
    else [beatStatus, incarnation] = [change.status, change.incarnation];
    const status: ShownStatus | null = leftIncarnation >= incarnation && leftIncarnation >= 0 ? "left" : beatStatus;
    if (status === null) continue;
    const last = spans[spans.length - 1];
    if (last && last.status === status && last.incarnation === incarnation) continue;
    if (last) last.to = change.time;
    spans.push({ from: change.time, to: end, status, incarnation: status === "left" ? leftIncarnation : incarnation });
  }
  return spans.filter((s) => s.to > s.from || s === spans[spans.length - 1]);
}

/** When `node` was first declared dead at or after `since` (heartbeat log time), if the retained heartbeats show it. */
export function declaredDeadAt(transitions: readonly MemberTransition[], node: string, since: number): number | null {
  return transitions.find((t) => t.node === node && t.status === "dead" && t.time >= since)?.time ?? null;
}
