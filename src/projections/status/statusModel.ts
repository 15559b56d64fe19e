import type { BgpSessionReport, ClaimReason } from "../../events/types.js";
import { ipRecord } from "../ipam/state.js";
import { poolUsage, type FamilyUsage } from "../ipam/usage.js";
import type { MembershipState } from "../membership.js";
import type { MembershipSettings } from "../settings.js";
import { vipCatalog } from "../vipCatalog.js";
import { findProblems, type Problem } from "./problems.js";
import type { RefusedMessage, Revision, StatusLog } from "./statusLog.js";

// `vipmesh status`, pure, part 2: where things stand at `now` (the log's head time, never a clock), from the EVENTS
// replay (statusLog.ts) and the membership the speakers compute from HEARTBEATS. It renders what the log recorded
// (owners claimed, sessions reported, episodes published) and derives nothing the agents decide.
// The JSON of `vipmesh status --json` is this value: its shape is versioned by `schema` (docs/status.md).

export const STATUS_SCHEMA = "vipmesh.status/v1";

/** "unheard": known from EVENTS (facts, claims, reports) but no heartbeat of it is retained. */
export type NodeState = "alive" | "suspect" | "dead" | "left" | "unheard";

export type NodeRow = {
  node: string;
  status: NodeState;
  ready: boolean | null;
  version: string | null;
  incarnation: number | null;
  lastHeardAt: number | null;
  /** Restarting in place: the log time until which its VIPs wait for it. */
  restartingUntil: number | null;
  /** An open fencing episode of its current incarnation: why, since when by its clock, and when the log got it. */
  fenced: { reason: string; at: number; loggedAt: number } | null;
  /**
   * Its last closed fencing episode, when one is on the log (absent otherwise): a node cut off from NATS can put its
   * fencing on the log only once it is back, as one FenceLeft carrying the whole episode.
   */
  lastFence?: { reason: string; enteredAt: number; leftAt: number; loggedAt: number };
};

export type VipRow = {
  vip: string;
  services: string[];
  pool: string | null;
  /** Announced over L2 (an L2Advertisement selects it): one owner answers. Otherwise only BGP (or nothing) does. */
  l2: boolean;
  owner: string | null;
  /** The owner's status in this view; null without one. */
  ownerStatus: NodeState | null;
  /** Log time of the claim that made the owner, its reason and term. */
  since: number | null;
  reason: ClaimReason | null;
  term: number;
  /** Another MAC answered for it after the current claim (VipConflictObserved). */
  conflict: { reports: number; lastNode: string; lastMac: string; lastAt: number } | null;
};

export type PoolRow = { pool: string; v4: FamilyUsage; v6: FamilyUsage; /** Highest use of a family with addresses, in whole percent. */ usedPercent: number };

export type BgpNodeRow = { node: string; backend: string; incarnation: number; current: boolean; reportedAt: number; sessions: BgpSessionReport[] };

export type ClusterStatus = {
  schema: typeof STATUS_SCHEMA;
  now: number;
  log: { eventsSeq: number; heartbeatsSeq: number };
  nodes: NodeRow[];
  vips: VipRow[];
  pools: PoolRow[];
  bgp: BgpNodeRow[];
  config: { revision: Revision | null; refusedSince: { count: number; first: RefusedMessage[] } };
  problems: Problem[];
};

export type StatusSettings = {
  membership: MembershipSettings;
  /** How long a VIP may be without a live owner before it is a problem (the failover in progress). */
  handoverBoundMs: number;
  /** A pool at or above this use (percent, any family) is nearly exhausted. */
  poolWarnPercent: number;
};

export const DEFAULT_POOL_WARN_PERCENT = 90;

export function clusterStatus(s: StatusLog, members: MembershipState, settings: StatusSettings, now: number): ClusterStatus {
  const nodes = nodeRows(s, members);
  const byName = new Map(nodes.map((n) => [n.node, n]));
  const status: ClusterStatus = {
    schema: STATUS_SCHEMA,
    now,
    log: { eventsSeq: s.log.seq, heartbeatsSeq: members.seq },
    nodes,
    vips: vipRows(s, byName),
    pools: poolRows(s),
    bgp: Object.entries(s.sessions)
      .sort(([a], [b]) => (a < b ? -1 : 1))
      .map(([node, r]) => ({ node, backend: r.backend, incarnation: r.incarnation, current: r.incarnation === (byName.get(node)?.incarnation ?? r.incarnation), reportedAt: r.loggedAt, sessions: r.sessions })),
    config: { revision: s.revision, refusedSince: s.refusedSince },
    problems: [],
  };
  status.problems = findProblems(status, s, settings);
  return status;
}

function nodeRows(s: StatusLog, members: MembershipState): NodeRow[] {
  const log = s.log;
  const names = new Set([...Object.keys(members.nodes), ...Object.keys(log.nodeFacts), ...Object.keys(log.left), ...Object.keys(s.sessions), ...Object.keys(s.fenced)]);
  for (const record of Object.values(log.vips)) if (record.owner !== null) names.add(record.owner);
  return [...names].sort().map((node): NodeRow => {
    const m = members.nodes[node];
    const incarnation = m?.incarnation ?? log.nodeFacts[node]?.incarnation ?? s.sessions[node]?.incarnation ?? null;
    const left = (log.left[node] ?? -1) >= (incarnation ?? 0) && log.left[node] !== undefined;
    const fence = s.fenced[node];
    const closed = s.unfencedAt[node];
    const restarting = log.restarting[node];
    return {
      node,
      status: left ? "left" : (m?.status ?? "unheard"),
      ready: m?.ready ?? null,
      version: m?.version ?? log.nodeFacts[node]?.version ?? null,
      incarnation,
      lastHeardAt: m?.lastHeardAt ?? null,
      restartingUntil: restarting !== undefined && restarting.incarnation >= (incarnation ?? 0) ? restarting.until : null,
      fenced: fence !== undefined && fence.incarnation >= (incarnation ?? 0) ? { reason: fence.reason, at: fence.at, loggedAt: fence.loggedAt } : null,
      ...(closed ? { lastFence: { reason: closed.reason, enteredAt: closed.enteredAt, leftAt: closed.leftAt, loggedAt: closed.loggedAt } } : {}),
    };
  });
}

function vipRows(s: StatusLog, nodes: ReadonlyMap<string, NodeRow>): VipRow[] {
  return vipCatalog(s.log).map((e): VipRow => {
    const record = s.log.vips[e.vip];
    const owner = record?.owner ?? null;
    const conflict = s.log.conflicts[e.vip];
    return {
      vip: e.vip,
      services: (ipRecord(s.log.ipam, e.vip)?.holders ?? []).map((h) => h.service),
      pool: e.pool?.name ?? null,
      l2: e.advertisements.length > 0,
      owner,
      ownerStatus: owner === null ? null : ownerState(nodes.get(owner), record?.incarnation ?? 0),
      since: owner === null ? null : (record?.since ?? null),
      reason: record?.reason ?? null,
      term: record?.term ?? 0,
      conflict: conflict !== undefined && conflict.lastAt >= (record?.since ?? 0) ? { ...conflict } : null,
    };
  });
}

/** The owner's state as the claim's incarnation sees it: a newer incarnation beating is the same node back. */
function ownerState(row: NodeRow | undefined, incarnation: number): NodeState {
  if (!row) return "unheard";
  if (row.status === "left" && (row.incarnation ?? 0) < incarnation) return "alive";
  return row.status;
}

function poolRows(s: StatusLog): PoolRow[] {
  const config = s.log.config?.config;
  if (!config) return [];
  return poolUsage(config, s.log.ipam).map((p) => ({ ...p, usedPercent: Math.max(usedPercent(p.v4), usedPercent(p.v6)) }));
}

/** Used share of a family's usable addresses, in whole percent rounded down (exact for a /64). */
function usedPercent(u: FamilyUsage): number {
  const total = BigInt(u.total);
  if (total === 0n) return 0;
  const used = total - BigInt(u.available);
  return Number((used * 100n) / total);
}
