import { produce } from "immer";
import type { Decoded } from "../events/entries.js";
import type { ClaimEvidence, ClaimReason, LogEvent } from "../events/types.js";
import { applyInvalidLogMessage, applyLogEvent, emptyLogState, type LogState } from "./logState.js";

// What the replay tool prints: every ownership change with the reason and evidence its claimant recorded,
// plus the lifecycle and configuration events around it. Derived by replaying the same reducer.

export type TimelineRow =
  | { kind: "owner-changed"; seq: number; time: number; vip: string; from: string | null; to: string; term: number; reason: ClaimReason; evidence: ClaimEvidence }
  | { kind: "claim-rejected"; seq: number; time: number; vip: string; by: string; term: number; expectedTerm: number }
  | { kind: "node-left"; seq: number; time: number; node: string; incarnation: number; reason: string }
  | { kind: "config-applied"; seq: number; time: number; source: string; hash: string; vips: number }
  | { kind: "invalid"; seq: number; time: number; subject: string };

export function buildTimeline(entries: readonly Decoded<LogEvent>[], start: LogState = emptyLogState()): { rows: TimelineRow[]; state: LogState } {
  const rows: TimelineRow[] = [];
  const state = produce(start, (draft) => {
    for (const { meta, event } of entries) {
      if (meta.seq <= draft.seq) continue;
      if (!event) {
        applyInvalidLogMessage(draft, meta);
        rows.push({ kind: "invalid", seq: meta.seq, time: meta.time, subject: meta.subject });
        continue;
      }
      const before = event.type === "VipClaimed" ? { owner: draft.vips[event.data.vip]?.owner ?? null, term: draft.vips[event.data.vip]?.term ?? 0 } : null;
      applyLogEvent(draft, event, meta);
      const time = draft.time;
      switch (event.type) {
        case "VipClaimed": {
          const { vip, node, term, reason, evidence } = event.data;
          if (before && term === before.term + 1) rows.push({ kind: "owner-changed", seq: meta.seq, time, vip, from: before.owner, to: node, term, reason, evidence });
          else rows.push({ kind: "claim-rejected", seq: meta.seq, time, vip, by: node, term, expectedTerm: (before?.term ?? 0) + 1 });
          break;
        }
        case "NodeLeft":
          rows.push({ kind: "node-left", seq: meta.seq, time, node: event.data.node, incarnation: event.data.incarnation, reason: event.data.reason });
          break;
        case "ConfigApplied":
          rows.push({ kind: "config-applied", seq: meta.seq, time, source: event.data.source, hash: event.data.hash, vips: event.data.config.services.reduce((n, s) => n + s.ips.length, 0) });
          break;
      }
    }
  });
  return { rows, state };
}
