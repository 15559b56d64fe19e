// The verdict projection of the watcher design (design.md, "Membership: watchers and verdicts"), pure. Verdicts
// stand on `vipmesh.ev.member.<target>.<watcher>`; the projection accepts one only from a node that was a designated
// watcher of the target at the log position the verdict names, and only for the target's current incarnation. A
// node refutes a suspicion with `NodeAlive` of its own at a higher incarnation. The first death verdict for an
// incarnation wins. A death verdict of a starved watcher counts only when it waited for the widest timeout. Refusals
// are counted by reason, so a replay shows every verdict that did not count and why.

export const VERDICT_KINDS = ["NodeSuspected", "NodeDeclaredDead", "NodeAlive"] as const;
export type VerdictKind = (typeof VERDICT_KINDS)[number];

import type { VerdictEvidence } from "../../events/types.js";
import { mayDeclareDead } from "./lifeguard.js";

/** What the watcher saw: its last reply from the target, its probes, the indirect probers' answers, its own health. */
export type { VerdictEvidence };

export type MemberVerdict = {
  kind: VerdictKind;
  target: string;
  watcher: string;
  /** The target's incarnation the verdict is about (for a refutation: the target's new incarnation). */
  incarnation: number;
  /** The log position at which the watcher judged: its designation is checked there. */
  position: number;
  evidence: VerdictEvidence;
};

export type VerdictStatus = "alive" | "suspect" | "dead";
/** `at`: the log time of the join or verdict that set the status; `lastReplyAt`: the deciding verdict's evidence. */
export type TargetVerdict = { incarnation: number; status: VerdictStatus; by: string | null; seq: number; at?: number; lastReplyAt?: number | null };

export const VERDICT_REFUSALS = ["unknown-target", "future-position", "self-verdict", "not-a-watcher", "stale-incarnation", "already-dead", "refutation-not-higher", "watcher-starved"] as const;
export type VerdictRefusal = (typeof VERDICT_REFUSALS)[number];

export type VerdictState = { targets: Record<string, TargetVerdict>; refused: Partial<Record<VerdictRefusal, number>> };

export const emptyVerdicts = (): VerdictState => ({ targets: {}, refused: {} });

/** The designated watchers of `target` at log position `position` (watchers.ts over the projection there). */
export type WatchersAt = (target: string, position: number) => readonly string[];

/** A node joined (its facts at a new incarnation): alive, and verdicts about older incarnations no longer count. */
export function applyJoin(state: VerdictState, node: string, incarnation: number, seq: number, at = 0): boolean {
  const known = state.targets[node];
  if (known && known.incarnation >= incarnation) return false;
  state.targets[node] = { incarnation, status: "alive", by: null, seq, at, lastReplyAt: null };
  return true;
}

/** Applies one verdict stored at `seq`; returns why it was refused, or null when it counted. */
export function applyVerdict(state: VerdictState, v: MemberVerdict, seq: number, watchersAt: WatchersAt, at = 0): VerdictRefusal | null {
  const refusal = refusalOf(state, v, seq, watchersAt);
  if (refusal !== null) {
    state.refused[refusal] = (state.refused[refusal] ?? 0) + 1;
    return refusal;
  }
  state.targets[v.target] = { incarnation: v.incarnation, status: statusAfter(v.kind), by: v.watcher, seq, at, lastReplyAt: v.evidence.lastReplyAt };
  return null;
}

function statusAfter(kind: VerdictKind): VerdictStatus {
  return kind === "NodeDeclaredDead" ? "dead" : kind === "NodeSuspected" ? "suspect" : "alive";
}

/** A starved watcher's death verdict counts once it says it waited for the widest timeout (NodeDeclaredDead v2). */
function waitedForWidest(e: VerdictEvidence): boolean {
  return e.starved !== undefined && e.starved.silentForMs >= e.starved.widestMs;
}

function refusalOf(state: VerdictState, v: MemberVerdict, seq: number, watchersAt: WatchersAt): VerdictRefusal | null {
  const known = state.targets[v.target];
  if (v.position > seq) return "future-position";
  if (v.watcher === v.target) {
    if (v.kind !== "NodeAlive") return "self-verdict";
    return known && v.incarnation <= known.incarnation ? "refutation-not-higher" : null;
  }
  if (!known) return "unknown-target";
  // Cheap checks first: the designation may cost a plan (watchers.ts, nextOwners).
  if (v.incarnation !== known.incarnation) return "stale-incarnation";
  if (known.status === "dead") return "already-dead";
  if (v.kind === "NodeDeclaredDead" && !mayDeclareDead(v.evidence.watcherHealth) && !waitedForWidest(v.evidence)) return "watcher-starved";
  if (!watchersAt(v.target, v.position).includes(v.watcher)) return "not-a-watcher";
  return null;
}
