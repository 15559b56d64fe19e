import type { Draft } from "immer";
import type { InterfaceFact, NodeFactsChanged } from "../events/types.js";
import type { LogState } from "./logState.js";
import type { MemberRecord } from "./membership.js";

// A node's interfaces and routes: published on EVENTS when they change (NodeFactsChanged), no longer in every
// heartbeat. Heartbeats of v1 and v2 still carry them, so an old log or an old speaker keeps qualifying.

/** `membership`: present ("verdicts") only when the node's speaker runs in verdicts mode; absent means heartbeats. */
export type NodeFacts = { incarnation: number; version: string; interfaces: InterfaceFact[]; membership?: "verdicts" };

/** The newest facts win; a reordered report of an older incarnation does not replace a newer one. */
export function applyNodeFacts(draft: Draft<LogState>, event: NodeFactsChanged): void {
  // A snapshot written before node facts were part of the state has none (snapshots of version 6 from before them).
  const facts = (draft.nodeFacts ??= {});
  const known = facts[event.data.node];
  if (known && known.incarnation > event.data.incarnation) return;
  facts[event.data.node] = { incarnation: event.data.incarnation, version: event.data.version, interfaces: event.data.interfaces, ...(event.data.membership === "verdicts" ? { membership: "verdicts" as const } : {}) };
}

const NO_INTERFACES: InterfaceFact[] = [];

/** The interfaces a node answers on: those its current heartbeats carry (v1, v2), else its facts on EVENTS. */
export function interfacesOf(log: LogState, member: MemberRecord): InterfaceFact[] {
  return member.interfaces ?? log.nodeFacts?.[member.node]?.interfaces ?? NO_INTERFACES;
}
