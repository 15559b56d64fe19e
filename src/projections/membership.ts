import type { Draft } from "immer";
import { identityProblem } from "../events/identity.js";
import type { EventMeta, InterfaceFact, NodeHeartbeatRecorded } from "../events/types.js";
import { healthScore, isStarved, widenedTimeout } from "./members/lifeguard.js";
import type { MembershipSettings } from "./settings.js";

// Membership from the HEARTBEATS stream alone. Silence is measured in "live" log time: stream time with
// every gap capped at maxStepMs, so a stalled log (nobody's messages arriving) counts against no one.
// Lifeguard: a node's suspect and dead timeouts widen with its health score (what its last beat reported, or how
// late the log stamped that beat, whichever is worse), up to maxDeadAfterMs.

export type NodeStatus = "alive" | "suspect" | "dead";

export type MemberRecord = {
  node: string;
  incarnation: number;
  beat: number;
  status: NodeStatus;
  ready: boolean;
  version: string;
  /** What v1 and v2 heartbeats carried; null from v3 on, whose interfaces are on EVENTS (nodeFacts.ts). */
  interfaces: InterfaceFact[] | null;
  /** Stream time of the last beat. */
  lastHeardAt: number;
  /** Live time of the last beat. */
  lastHeardLive: number;
  /** Beats since the node was last new, restarted or dead, capped at joinBeats. */
  streak: number;
  /** The health score its last beat reported; null for beats before v4, which are judged without Lifeguard. */
  health: number | null;
  /** How much later than one heartbeat interval after its previous beat the log stamped its last one (0 when fresh). */
  beatLateMs: number;
  /** Dead and silent beyond maxDeadAfterMs: dead whatever its health was, so even a starved node may take its VIPs. */
  overdue: boolean;
};

export type MembershipState = {
  seq: number;
  /** Stream time, clamped so it never goes backwards. */
  time: number;
  /** Live time: starts at 0 for this view and advances with capped gaps. */
  live: number;
  nodes: Record<string, MemberRecord>;
  ignoredBeats: number;
  /** Beats whose payload names another node than their subject (`vipmesh.hb.<node>`). */
  refusedIdentity: number;
  /** Live time until which nobody may be declared dead, set when the log comes back from an outage. */
  graceUntilLive: number;
  /**
   * No node's status can change before live time passes this (its silence crossing suspectAfterMs or deadAfterMs),
   * so a heartbeat before it need not look at every node: the sweep costs O(nodes) per beat round, not per beat.
   */
  sweepAfterLive: number;
  /** A suspect node is past deadAfterMs and held only by the outage grace: its status changes when the grace ends. */
  heldByGrace: boolean;
  /**
   * Counts the changes an ownership plan can depend on (a node's status, incarnation, readiness, join streak, or
   * the interfaces an old heartbeat carries), so a view re-plans only when it moved, not on every beat.
   */
  epoch: number;
};

export const emptyMembership = (): MembershipState => ({
  seq: 0, time: 0, live: 0, nodes: {}, ignoredBeats: 0, refusedIdentity: 0, graceUntilLive: 0, sweepAfterLive: 0, heldByGrace: false, epoch: 0,
});

export function advanceClock(draft: Draft<MembershipState>, meta: EventMeta, settings: MembershipSettings): void {
  const time = Math.max(draft.time, meta.time);
  if (draft.seq > 0) {
    const gap = time - draft.time;
    draft.live += Math.min(gap, settings.maxStepMs);
    if (gap >= settings.stallGapMs) draft.graceUntilLive = draft.live + settings.stallGraceMs;
  }
  draft.time = time;
  draft.seq = meta.seq;
}

/** The node's Lifeguard score: the worse of what it reported and how late its last beat reached the log (0 before v4). */
export function memberScore(record: Pick<MemberRecord, "health" | "beatLateMs">): number {
  return record.health === null ? 0 : Math.max(record.health, healthScore(record.beatLateMs));
}

/** A starved node claims no VIP from a dead owner until that owner is overdue (ownershipPlan.ts). */
export const memberStarved = (record: Pick<MemberRecord, "health" | "beatLateMs">): boolean => isStarved(memberScore(record));

/** How much the node's score widens its suspect and dead timeouts (0 .. maxDeadAfterMs - deadAfterMs). */
export function widenedByMs(score: number, settings: MembershipSettings): number {
  return widenedTimeout(settings.deadAfterMs, settings.maxDeadAfterMs, score) - settings.deadAfterMs;
}

export function statusAfterSilence(silentMs: number, settings: MembershipSettings, widenMs = 0): NodeStatus {
  if (silentMs > settings.deadAfterMs + widenMs) return "dead";
  return silentMs > settings.suspectAfterMs + widenMs ? "suspect" : "alive";
}

const SWEEP_MARGIN_MS = 0.001;
/** Every node is dead: nothing changes until one beats again (a finite number: the state is plain JSON). */
const NOBODY_TO_SWEEP = Number.MAX_SAFE_INTEGER;

/** When a node's record next changes if it stays silent: silence passing its (widened) timeouts, then the bound. */
function nextChange(record: MemberRecord, settings: MembershipSettings): number {
  if (record.status === "dead") return record.overdue ? NOBODY_TO_SWEEP : record.lastHeardLive + settings.maxDeadAfterMs;
  const widen = widenedByMs(memberScore(record), settings);
  return record.lastHeardLive + widen + (record.status === "alive" ? settings.suspectAfterMs : settings.deadAfterMs);
}

/** Statuses after silence, recomputed only when live time may have crossed someone's threshold or ended a grace. */
function sweep(draft: Draft<MembershipState>, settings: MembershipSettings): void {
  // The margin keeps rounding (live - last > threshold against live > last + threshold) on the side of sweeping.
  if (draft.live < draft.sweepAfterLive - SWEEP_MARGIN_MS && !(draft.heldByGrace && draft.live >= draft.graceUntilLive)) return;
  const inGrace = draft.live < draft.graceUntilLive;
  let next = NOBODY_TO_SWEEP;
  let held = false;
  // A changed record is replaced, never written in place: records may be shared with earlier states
  // (applyHeartbeatBatch copies only the node table).
  for (const [id, record] of Object.entries(draft.nodes)) {
    if (record.overdue) continue;
    const silentMs = draft.live - record.lastHeardLive;
    if (record.status === "dead") {
      if (silentMs > settings.maxDeadAfterMs) {
        draft.nodes[id] = { ...record, overdue: true };
        draft.epoch++;
      }
      next = Math.min(next, nextChange(record, settings));
      continue;
    }
    const silence = statusAfterSilence(silentMs, settings, widenedByMs(memberScore(record), settings));
    const status = inGrace && silence === "dead" ? "suspect" : silence;
    if (status !== record.status) draft.epoch++;
    const overdue = status === "dead" ? silentMs > settings.maxDeadAfterMs : record.overdue;
    const after = status === record.status && overdue === record.overdue ? record : { ...record, status, overdue };
    if (after !== record) draft.nodes[id] = after;
    next = Math.min(next, nextChange(after, settings));
    held ||= status === "suspect" && silence === "dead";
  }
  draft.sweepAfterLive = next;
  draft.heldByGrace = held;
}

/** Whether the new record of a beating node differs from the old one in anything a plan reads. */
function planRelevantChange(before: MemberRecord | undefined, after: MemberRecord): boolean {
  if (!before) return true;
  if (before.status !== after.status || before.incarnation !== after.incarnation || before.ready !== after.ready || before.streak !== after.streak) return true;
  if (memberStarved(before) !== memberStarved(after) || before.overdue !== after.overdue) return true;
  if (before.interfaces === null && after.interfaces === null) return false;
  return JSON.stringify(before.interfaces) !== JSON.stringify(after.interfaces);
}

export function applyHeartbeat(
  draft: Draft<MembershipState>,
  event: NodeHeartbeatRecorded,
  meta: EventMeta,
  settings: MembershipSettings,
): void {
  if (meta.seq <= draft.seq) return;
  advanceClock(draft, meta, settings);
  sweep(draft, settings);
  if (identityProblem(meta.subject, event) !== null) {
    draft.refusedIdentity++;
    return;
  }
  const beat = event.data;
  const record = draft.nodes[beat.node];
  if (record && (beat.incarnation < record.incarnation || (beat.incarnation === record.incarnation && beat.beat <= record.beat))) {
    draft.ignoredBeats++;
    return;
  }
  const fresh = !record || beat.incarnation > record.incarnation || record.status === "dead";
  const streak = fresh ? 1 : Math.min(record.streak + 1, settings.joinBeats);
  const next: MemberRecord = {
    node: beat.node,
    incarnation: beat.incarnation,
    beat: beat.beat,
    status: "alive",
    ready: beat.ready,
    version: beat.version,
    interfaces: beat.interfaces ?? null,
    lastHeardAt: meta.time,
    lastHeardLive: draft.live,
    streak,
    health: beat.health,
    beatLateMs: fresh || !record ? 0 : Math.max(0, meta.time - record.lastHeardAt - settings.heartbeatIntervalMs),
    overdue: false,
  };
  if (planRelevantChange(record, next)) draft.epoch++;
  draft.nodes[beat.node] = next;
  draft.sweepAfterLive = Math.min(draft.sweepAfterLive, nextChange(next, settings));
}

/**
 * HEARTBEATS started its sequences again (made again, or a replicated in-memory stream after every server restarted):
 * the next beats have lower sequences and must not be taken for replays. Live time does not jump over the gap:
 * its first beat only sets the clock, so every node keeps its whole dead timeout, counted from the beats it sends
 * from there on, to be heard again (as the outage grace gives after a stall).
 */
export function restartSequence(draft: Draft<MembershipState>): void {
  draft.seq = 0;
}

/** Counts a message the boundary rejected; it still moved the log forward. */
export function applyInvalidHeartbeat(draft: Draft<MembershipState>, meta: EventMeta, settings: MembershipSettings): void {
  if (meta.seq <= draft.seq) return;
  advanceClock(draft, meta, settings);
  sweep(draft, settings);
  draft.ignoredBeats++;
}
