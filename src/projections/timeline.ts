import { produce } from "immer";
import type { Decoded } from "../events/entries.js";
import { assertNever, type AllocationReason, type BgpSessionReport, type ClaimEvidence, type ClaimReason, type LogEvent, type MemberVerdictEvent, type ReleaseReason, type VerdictEvidence } from "../events/types.js";
import type { RefusalReason } from "./eventRules.js";
import { applyInvalidLogMessage, applyLogEvent, emptyLogState, type LogState } from "./logState.js";

// What the replay tool prints: every ownership change with the reason and evidence its claimant recorded,
// plus the lifecycle and configuration events around it. Derived by replaying the same reducer.

export type TimelineRow =
  | { kind: "owner-changed"; seq: number; time: number; vip: string; from: string | null; to: string; term: number; reason: ClaimReason; evidence: ClaimEvidence }
  | { kind: "claim-rejected"; seq: number; time: number; vip: string; by: string; term: number; expectedTerm: number }
  | { kind: "node-left"; seq: number; time: number; node: string; incarnation: number; reason: string }
  | { kind: "node-restarting"; seq: number; time: number; node: string; incarnation: number; graceMs: number }
  | { kind: "conflict-observed"; seq: number; time: number; vip: string; node: string; otherMac: string; ifname: string; count: number }
  | { kind: "fence-entered"; seq: number; time: number; node: string; incarnation: number; reason: string; at: number }
  | { kind: "fence-left"; seq: number; time: number; node: string; incarnation: number; reason: string; enteredAt: number; leftAt: number; unfenceReason: string }
  | { kind: "bgp-sessions"; seq: number; time: number; node: string; incarnation: number; backend: "native" | "frr"; sessions: BgpSessionReport[] }
  /** `objects`: how many objects the change set (absent for a ConfigApplied, which replaced them all). */
  | { kind: "config-applied"; seq: number; time: number; source: string; hash: string; services: number; objects?: number }
  | { kind: "ip-allocated"; seq: number; time: number; ip: string; service: string; pool: string | null; reason: AllocationReason; allocator: string }
  | { kind: "ip-released"; seq: number; time: number; ip: string; service: string; reason: ReleaseReason; detail: string; allocator: string }
  | { kind: "ip-rejected"; seq: number; time: number; ip: string; service: string; claim: "allocate" | "release"; why: string }
  /** A watcher's verdict with its evidence; `refused`: why the projection did not count it (members/verdicts.ts), null when it did. */
  | { kind: "verdict"; seq: number; time: number; verdict: MemberVerdictEvent["type"]; target: string; watcher: string; incarnation: number; position: number; evidence: VerdictEvidence; refused: string | null }
  | { kind: "invalid"; seq: number; time: number; subject: string; reason?: string; detail?: string }
  | { kind: "identity-refused"; seq: number; time: number; subject: string; type: LogEvent["type"]; why: string }
  | { kind: "refused"; seq: number; time: number; subject: string; type: LogEvent["type"]; reason: RefusalReason; detail: string };

type Before = { owner: string | null; term: number } | null;

/** The row for one event the reducer has just applied; `rejected` is why IPAM or the verdict projection refused it, if either did. */
function rowFor(event: LogEvent, seq: number, time: number, before: Before, rejected: string | null): TimelineRow | null {
  switch (event.type) {
    case "VipClaimed": {
      const { vip, node, term, reason, evidence } = event.data;
      if (before && term === before.term + 1) return { kind: "owner-changed", seq, time, vip, from: before.owner, to: node, term, reason, evidence };
      return { kind: "claim-rejected", seq, time, vip, by: node, term, expectedTerm: (before?.term ?? 0) + 1 };
    }
    case "NodeLeft":
      return { kind: "node-left", seq, time, node: event.data.node, incarnation: event.data.incarnation, reason: event.data.reason };
    case "VipConflictObserved":
      return { kind: "conflict-observed", seq, time, ...event.data };
    case "FenceEntered":
      return { kind: "fence-entered", seq, time, ...event.data };
    case "FenceLeft":
      return { kind: "fence-left", seq, time, ...event.data };
    case "BgpSessionsChanged":
      return { kind: "bgp-sessions", seq, time, ...event.data };
    case "NodeSuspected":
    case "NodeDeclaredDead":
    case "NodeAlive":
      return { kind: "verdict", seq, time, verdict: event.type, ...event.data, refused: rejected };
    case "NodeFactsChanged":
      return null; // a node's interfaces: input to eligibility, not a decision to show
    case "NodeRestarting":
      return { kind: "node-restarting", seq, time, node: event.data.node, incarnation: event.data.incarnation, graceMs: event.data.graceMs };
    case "ConfigApplied":
      return { kind: "config-applied", seq, time, source: event.data.source, hash: event.data.hash, services: event.data.config.services.length };
    case "ConfigObjectChanged":
    case "ConfigObjectDeleted":
      return null; // shown once its change is applied (buildTimeline), or as refused
    case "IpAllocated": {
      const { ip, service, pool, reason, evidence } = event.data;
      if (rejected !== null) return { kind: "ip-rejected", seq, time, ip, service, claim: "allocate", why: rejected };
      return { kind: "ip-allocated", seq, time, ip, service, pool, reason, allocator: evidence.allocator };
    }
    case "IpReleased": {
      const { ip, service, reason, detail, evidence } = event.data;
      if (rejected !== null) return { kind: "ip-rejected", seq, time, ip, service, claim: "release", why: rejected };
      return { kind: "ip-released", seq, time, ip, service, reason, detail, allocator: evidence.allocator };
    }
    default:
      return assertNever(event);
  }
}

/** The VIP or IP a row belongs to (claims, conflicts, allocations); null for cluster-wide events. */
export function addressOf(row: TimelineRow): string | null {
  switch (row.kind) {
    case "owner-changed":
    case "claim-rejected":
    case "conflict-observed":
      return row.vip;
    case "ip-allocated":
    case "ip-released":
    case "ip-rejected":
      return row.ip;
    default:
      return null;
  }
}

export function buildTimeline(entries: readonly Decoded<LogEvent>[], start: LogState = emptyLogState()): { rows: TimelineRow[]; state: LogState } {
  const rows: TimelineRow[] = [];
  const state = produce(start, (draft) => {
    for (const { meta, event, invalid } of entries) {
      if (meta.seq <= draft.seq) continue;
      if (!event) {
        applyInvalidLogMessage(draft, meta);
        rows.push({ kind: "invalid", seq: meta.seq, time: meta.time, subject: meta.subject, ...(invalid === undefined ? {} : { reason: invalid.reason, detail: invalid.detail }) });
        continue;
      }
      const before = event.type === "VipClaimed" ? { owner: draft.vips[event.data.vip]?.owner ?? null, term: draft.vips[event.data.vip]?.term ?? 0 } : null;
      const rejectedBefore = draft.ipam.rejected;
      const refusedBefore = draft.refusedIdentity;
      const lastRefusal = draft.lastRefusal;
      const configBefore = draft.config;
      applyLogEvent(draft, event, meta);
      if (draft.refusedIdentity > refusedBefore) {
        rows.push({ kind: "identity-refused", seq: meta.seq, time: draft.time, subject: meta.subject, type: event.type, why: draft.lastIdentityRefusal?.why ?? "" });
        continue;
      }
      if (draft.lastRefusal !== lastRefusal && draft.lastRefusal?.seq === meta.seq) {
        const { reason, detail } = draft.lastRefusal;
        rows.push({ kind: "refused", seq: meta.seq, time: draft.time, subject: meta.subject, type: event.type, reason, detail });
        continue;
      }
      if ((event.type === "ConfigObjectChanged" || event.type === "ConfigObjectDeleted") && draft.config !== configBefore && draft.config !== null) {
        const { source, hash, config } = draft.config;
        rows.push({ kind: "config-applied", seq: meta.seq, time: draft.time, source, hash, services: config.services.length, objects: event.data.epoch.count });
        continue;
      }
      const verdictRefusal = draft.lastVerdictRefusal?.seq === meta.seq ? draft.lastVerdictRefusal.reason : null;
      const rejected = draft.ipam.rejected > rejectedBefore ? (draft.ipam.lastRejection?.why ?? "") : verdictRefusal;
      const row = rowFor(event, meta.seq, draft.time, before, rejected);
      if (row) rows.push(row);
    }
  });
  return { rows, state };
}
