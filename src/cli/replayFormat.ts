import { addressOf, type TimelineRow } from "../projections/timeline.js";
import { sessionsSummary, sessionText, verdictTitle } from "../projections/timelineMarks.js";
import { printable } from "./printable.js";

const at = (ms: number): string => new Date(ms).toISOString();

export function explainClaim(row: Extract<TimelineRow, { kind: "owner-changed" }>): string {
  const e = row.evidence;
  switch (row.reason) {
    case "unowned":
      return `VIP had no owner; ${e.eligibleNodes} eligible node(s)`;
    case "owner-dead":
      return e.previousOwnerLastHeardAt === null
        ? `owner ${e.previousOwner ?? "?"} never heard by the claimant (status ${e.previousOwnerStatus ?? "?"})`
        : `owner ${e.previousOwner ?? "?"} last heard at ${at(e.previousOwnerLastHeardAt)}, silent for ${Math.round(e.silentForMs ?? 0)} ms of live log time`;
    case "owner-left":
      return `owner ${e.previousOwner ?? "?"} announced it was leaving`;
    case "owner-ineligible":
      return `owner ${e.previousOwner ?? "?"} no longer qualifies (status ${e.previousOwnerStatus ?? "?"})`;
  }
}

export function formatRow(row: TimelineRow): string {
  const head = `${at(row.time)}  #${row.seq}`;
  switch (row.kind) {
    case "owner-changed":
      return `${head}  ${row.vip}  ${row.from ?? "(none)"} -> ${row.to}  term ${row.term}  ${row.reason}: ${explainClaim(row)} [heartbeat seq ${row.evidence.heartbeatSeq}]`;
    case "claim-rejected":
      return `${head}  ${row.vip}  claim by ${row.by} ignored: term ${row.term}, expected ${row.expectedTerm}`;
    case "node-left":
      return `${head}  node ${row.node} left (${row.reason}, incarnation ${row.incarnation})`;
    case "node-restarting":
      return `${head}  node ${row.node} restarting in place (incarnation ${row.incarnation}); its VIPs wait ${row.graceMs} ms for it`;
    case "conflict-observed":
      return `${head}  ${row.vip}  ${row.node} saw another MAC ${row.otherMac} answer for it on ${row.ifname} (${row.count} frame(s) so far)`;
    case "fence-entered":
      return `${head}  node ${row.node} fenced itself (${row.reason}) at ${at(row.at)} by its clock`;
    case "fence-left":
      return `${head}  node ${row.node} answered again after ${Math.round(row.leftAt - row.enteredAt)} ms fenced (${row.reason}; ${row.unfenceReason}), from ${at(row.enteredAt)} by its clock`;
    case "bgp-sessions":
      return `${head}  node ${row.node}'s BGP sessions (${row.backend}): ${sessionsSummary(row.sessions)}${row.sessions.map((s) => `; ${s.peer} ${sessionText(s)}`).join("")}`;
    case "config-applied":
      return `${head}  configuration ${row.hash.slice(0, 12)} from ${row.source}: ${row.objects === undefined ? "" : `${row.objects} object(s) changed, `}${row.services} LoadBalancer Service(s)`;
    case "ip-allocated":
      return `${head}  ${row.ip}  allocated to ${row.service} from pool ${row.pool ?? "(none)"}: ${row.reason} [by ${row.allocator}]`;
    case "ip-released":
      return `${head}  ${row.ip}  released by ${row.service}: ${row.reason}: ${row.detail} [by ${row.allocator}]`;
    case "ip-rejected":
      return `${head}  ${row.ip}  ${row.claim} for ${row.service} refused: ${row.why}`;
    case "verdict": {
      const e = row.evidence;
      const indirect = e.indirect.length === 0 ? "no indirect probes" : `indirect ${e.indirect.map((i) => `${i.via}: ${i.replied ? "replied" : "no reply"}`).join(", ")}`;
      const lastReply = e.lastReplyAt === null ? "never replied" : `last reply ${at(e.lastReplyAt)} by the watcher's clock`;
      return `${head}  ${verdictTitle(row)}  (incarnation ${row.incarnation}, judged at EVENTS #${row.position}; ${lastReply}, ${e.probes} probe(s), ${indirect}, watcher health ${e.watcherHealth}${e.starved ? `, starved: waited for ${e.starved.silentForMs} ms of silence (widest timeout ${e.starved.widestMs} ms)` : ""})`;
    }
    case "invalid":
      return `${head}  invalid message on ${row.subject} skipped${row.reason === undefined ? "" : ` (${row.reason}: ${row.detail ?? ""})`}`;
    case "identity-refused":
      return `${head}  ${row.type} on ${row.subject} refused: ${row.why}`;
    case "refused":
      return `${head}  ${row.type} on ${row.subject} refused (${row.reason}): ${row.detail}`;
  }
}

/** Text for people: rows grouped by address (allocations and ownership), other events in a section of their own. */
export function formatTimeline(rows: readonly TimelineRow[], vipFilter: string | null): string {
  const byVip = new Map<string, TimelineRow[]>();
  const other: TimelineRow[] = [];
  for (const row of rows) {
    const address = addressOf(row);
    if (address !== null) {
      if (vipFilter === null || address === vipFilter) byVip.set(address, [...(byVip.get(address) ?? []), row]);
    } else {
      other.push(row);
    }
  }
  const lines: string[] = [];
  for (const [vip, vipRows] of [...byVip.entries()].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const allocations = vipRows.filter((r) => r.kind === "ip-allocated").length;
    lines.push(`VIP ${vip}: ${vipRows.filter((r) => r.kind === "owner-changed").length} ownership change(s), ${allocations} allocation(s)`);
    for (const row of vipRows) lines.push(`  ${formatRow(row)}`);
  }
  if (other.length > 0) {
    lines.push("Cluster events:");
    for (const row of other) lines.push(`  ${formatRow(row)}`);
  }
  // Names and reasons come from the log, which anyone with write access could have filled with escape sequences.
  return printable(lines.join("\n"));
}
