import type { Decoded } from "../events/entries.js";
import type { ClaimReason, LogEvent, NodeHeartbeatRecorded } from "../events/types.js";
import { declaredDeadAt, heartbeatTransitions, nodeSpans, type MemberTransition, type StatusSpan } from "./membershipHistory.js";
import type { MembershipSettings } from "./settings.js";
import { addressOf, buildTimeline, type TimelineRow } from "./timeline.js";
import { markFor, type Mark } from "./timelineMarks.js";

// The data of the replay's HTML page, as a pure function of the two logs: who owned each VIP when, each node's
// membership, every claim and allocation with its evidence, configuration revisions and one entry per failover.

export type OwnerSpan = { from: number; to: number; node: string; term: number; reason: ClaimReason; answering: boolean };

export type VipLane = { vip: string; owners: OwnerSpan[]; marks: Mark[] };

export type NodeLane = { node: string; spans: StatusSpan[] };

export type FailoverView = {
  seq: number;
  vip: string;
  from: string;
  to: string;
  term: number;
  reason: ClaimReason;
  /** The previous owner's last heartbeat, as the claimant recorded it (kept on EVENTS, so it never ages out). */
  lastHeardAt: number | null;
  /** When the replayed membership declared it dead; null when those heartbeats have aged out (or it never was). */
  declaredDeadAt: number | null;
  /** For a planned move (owner-left): when the owner published its leave. */
  leftAt: number | null;
  /** The claim's log time: the new owner starts answering and sends its gratuitous announcements right after it. */
  claimedAt: number;
  silentForMs: number | null;
  /** How long a client could find nobody answering: from the last beat to the claim; 0 for a planned handover. */
  gapMs: number | null;
  heartbeatSeq: number;
  eligibleNodes: number;
};

export type ConfigRevision = { seq: number; time: number; hash: string; source: string; services: number };

export type TimelineView = {
  from: number;
  to: number;
  vips: VipLane[];
  nodes: NodeLane[];
  /** Events of no single address: leaves, restarts, invalid messages. */
  cluster: Mark[];
  configs: ConfigRevision[];
  failovers: FailoverView[];
  /** Time of the oldest heartbeat still on HEARTBEATS (null: none); membership before it is unknown. */
  heartbeatsFrom: number | null;
  /** True when HEARTBEATS no longer holds its first messages (they age out), or holds none while EVENTS has some. */
  membershipAgedOut: boolean;
  counts: { events: number; heartbeats: number; invalid: number };
};

export type TimelineInput = {
  events: readonly Decoded<LogEvent>[];
  heartbeats: readonly Decoded<NodeHeartbeatRecorded>[];
  settings: MembershipSettings;
};

export function buildTimelineView(input: TimelineInput): TimelineView {
  const { rows } = buildTimeline(input.events);
  const { from, to } = timeRange([input.events, input.heartbeats]);
  const transitions = heartbeatTransitions(input.heartbeats, input.settings);
  const firstBeat = input.heartbeats[0]?.meta;
  return {
    from,
    to,
    vips: vipLanes(rows, to),
    nodes: nodeLanes(rows, transitions, to),
    cluster: rows.filter((r) => addressOf(r) === null && r.kind !== "config-applied").map(markFor),
    configs: rows.flatMap((r) => (r.kind === "config-applied" ? [{ seq: r.seq, time: r.time, hash: r.hash, source: r.source, services: r.services }] : [])),
    failovers: rows.flatMap((r) => failoverOf(r, transitions, rows)),
    heartbeatsFrom: firstBeat?.time ?? null,
    membershipAgedOut: firstBeat ? firstBeat.seq > 1 : input.events.length > 0,
    counts: { events: input.events.length, heartbeats: input.heartbeats.length, invalid: rows.filter((r) => r.kind === "invalid").length },
  };
}

/** The page of one VIP: its lane and its failovers; membership, revisions and cluster events stay. */
export function onlyVip(view: TimelineView, vip: string): TimelineView {
  return { ...view, vips: view.vips.filter((v) => v.vip === vip), failovers: view.failovers.filter((f) => f.vip === vip) };
}

/** First and last log time of both streams (a loop: a spread of a long log would overflow the stack). */
function timeRange(logs: readonly (readonly { meta: { time: number } }[])[]): { from: number; to: number } {
  let from = Infinity;
  let to = -Infinity;
  for (const log of logs) {
    for (const { meta } of log) {
      from = Math.min(from, meta.time);
      to = Math.max(to, meta.time);
    }
  }
  return from <= to ? { from, to } : { from: 0, to: 0 };
}

type OwnerChange = Extract<TimelineRow, { kind: "owner-changed" }>;

function vipLanes(rows: readonly TimelineRow[], end: number): VipLane[] {
  const byVip = new Map<string, TimelineRow[]>();
  for (const row of rows) {
    const address = addressOf(row);
    if (address === null) continue;
    const list = byVip.get(address);
    if (list) list.push(row);
    else byVip.set(address, [row]);
  }
  return [...byVip.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([vip, vipRows]) => ({ vip, owners: ownerSpans(vipRows.filter((r): r is OwnerChange => r.kind === "owner-changed"), end), marks: vipRows.map(markFor) }));
}

/** Each owner from its claim to the next; an owner that died answers only until its last beat, then nobody does. */
function ownerSpans(changes: readonly OwnerChange[], end: number): OwnerSpan[] {
  return changes.flatMap((change, i) => {
    const next = changes[i + 1];
    const until = next?.time ?? end;
    const own = { node: change.to, term: change.term, reason: change.reason };
    const silentFrom = next?.reason === "owner-dead" ? next.evidence.previousOwnerLastHeardAt : null;
    if (silentFrom === null || silentFrom <= change.time || silentFrom >= until) return [{ from: change.time, to: until, ...own, answering: true }];
    return [
      { from: change.time, to: silentFrom, ...own, answering: true },
      { from: silentFrom, to: until, ...own, answering: false },
    ];
  });
}

function nodeLanes(rows: readonly TimelineRow[], transitions: readonly MemberTransition[], end: number): NodeLane[] {
  const leaves = rows.flatMap((r) => (r.kind === "node-left" ? [{ time: r.time, node: r.node, incarnation: r.incarnation }] : []));
  const names = [...new Set([...transitions.map((t) => t.node), ...leaves.map((l) => l.node)])].sort();
  return names.map((node) => ({
    node,
    spans: nodeSpans(transitions.filter((t) => t.node === node), leaves.filter((l) => l.node === node), end),
  }));
}

/** The owner's last leave at or before the claim that replaced it. */
function leaveBefore(rows: readonly TimelineRow[], node: string, claimSeq: number): number | null {
  let at: number | null = null;
  for (const r of rows) if (r.kind === "node-left" && r.node === node && r.seq < claimSeq) at = r.time;
  return at;
}

function failoverOf(row: TimelineRow, transitions: readonly MemberTransition[], rows: readonly TimelineRow[]): FailoverView[] {
  if (row.kind !== "owner-changed" || row.from === null) return [];
  const e = row.evidence;
  const lastHeardAt = e.previousOwnerLastHeardAt;
  const gapMs = row.reason === "owner-left" ? 0 : row.reason === "owner-dead" && lastHeardAt !== null ? Math.max(0, row.time - lastHeardAt) : null;
  return [{
    seq: row.seq,
    vip: row.vip,
    from: row.from,
    to: row.to,
    term: row.term,
    reason: row.reason,
    lastHeardAt,
    declaredDeadAt: row.reason === "owner-dead" ? declaredDeadAt(transitions, row.from, lastHeardAt ?? 0) : null,
    leftAt: row.reason === "owner-left" ? leaveBefore(rows, row.from, row.seq) : null,
    claimedAt: row.time,
    silentForMs: e.silentForMs,
    gapMs,
    heartbeatSeq: e.heartbeatSeq,
    eligibleNodes: e.eligibleNodes,
  }];
}
