import { assertNever } from "../events/types.js";
import type { TimelineRow } from "./timeline.js";

// One mark per timeline row for the replay's pictures: a short title and the facts the log recorded for it (the
// reason and evidence of a claim or allocation), as data; the page decides how to print times and durations.

export type FactValue = { text: string } | { at: number } | { ms: number };
export type Fact = { label: string; value: FactValue };

export type MarkKind = "claim" | "stale-claim" | "allocation" | "release" | "refused" | "conflict" | "left" | "restarting" | "fenced" | "bgp" | "config" | "invalid" | "verdict";

export type Mark = { seq: number; time: number; kind: MarkKind; title: string; facts: Fact[] };

const text = (label: string, value: string | number | null): Fact => ({ label, value: { text: value === null ? "(none)" : String(value) } });
const at = (label: string, value: number | null): Fact => (value === null ? text(label, "never heard") : { label, value: { at: value } });
const ms = (label: string, value: number | null): Fact => (value === null ? text(label, "unknown") : { label, value: { ms: value } });

type SessionRow = Extract<TimelineRow, { kind: "bgp-sessions" }>["sessions"][number];

/** "2 of 3 Established", or "none" for a speaker with no session. */
export function sessionsSummary(sessions: readonly SessionRow[]): string {
  if (sessions.length === 0) return "none";
  return `${sessions.filter((s) => s.state === "established").length} of ${sessions.length} Established`;
}

/** One session as a line: address, ASN, state, prefixes, BFD. */
export function sessionText(s: SessionRow): string {
  const bfd = s.bfd === undefined ? "" : `, BFD ${s.bfd.status}${s.bfd.echo === undefined ? "" : ` (echo: ${s.bfd.echo})`}`;
  return `${s.address} AS ${s.peerASN ?? "dynamic"} ${s.state}, ${s.prefixesSent} prefix(es) sent${bfd}`;
}

type OwnerChange = Extract<TimelineRow, { kind: "owner-changed" }>;

function claimFacts(row: OwnerChange): Fact[] {
  const e = row.evidence;
  return [
    text("reason", row.reason),
    text("previous owner", row.from),
    text("its status to the claimant", e.previousOwnerStatus),
    at("previous owner last heard", e.previousOwnerLastHeardAt),
    ms("silent for (live log time)", e.silentForMs),
    text("claimant's heartbeat position", `#${e.heartbeatSeq}`),
    at("claimant's heartbeat time", e.observedAt),
    text("eligible nodes", e.eligibleNodes),
  ];
}

type VerdictRow = Extract<TimelineRow, { kind: "verdict" }>;

const VERDICT_WORDS: Record<VerdictRow["verdict"], string> = { NodeSuspected: "suspected", NodeDeclaredDead: "declared dead", NodeAlive: "declared alive" };

export function verdictTitle(row: VerdictRow): string {
  const what = row.verdict === "NodeAlive" && row.watcher === row.target ? `${row.target} refuted a suspicion of itself` : `${row.watcher} ${VERDICT_WORDS[row.verdict]} ${row.target}`;
  return row.refused === null ? what : `${what}: refused (${row.refused})`;
}

function verdictFacts(row: VerdictRow): Fact[] {
  const e = row.evidence;
  return [
    text("target incarnation", row.incarnation),
    text("watcher's EVENTS position", `#${row.position}`),
    at("last reply (watcher's clock)", e.lastReplyAt),
    text("probes sent", e.probes),
    text("indirect probes", e.indirect.length === 0 ? "none" : e.indirect.map((i) => `${i.via}: ${i.replied ? "replied" : "no reply"}`).join(", ")),
    text("watcher's health score", e.watcherHealth),
    ...(e.starved ? [text("starved watcher waited for", `${e.starved.silentForMs} ms of silence (widest timeout ${e.starved.widestMs} ms)`)] : []),
    ...(row.refused === null ? [] : [text("refused because", row.refused)]),
  ];
}

export function markFor(row: TimelineRow): Mark {
  const base = { seq: row.seq, time: row.time };
  switch (row.kind) {
    case "owner-changed":
      return { ...base, kind: "claim", title: `${row.to} claimed ${row.vip} (term ${row.term}, ${row.reason})`, facts: claimFacts(row) };
    case "claim-rejected":
      return { ...base, kind: "stale-claim", title: `stale claim by ${row.by} for ${row.vip} ignored`, facts: [text("term", row.term), text("expected term", row.expectedTerm)] };
    case "conflict-observed":
      return { ...base, kind: "conflict", title: `another MAC answered for ${row.vip}`, facts: [text("seen by", row.node), text("other MAC", row.otherMac), text("interface", row.ifname), text("frames so far", row.count)] };
    case "ip-allocated":
      return { ...base, kind: "allocation", title: `${row.ip} allocated to ${row.service}`, facts: [text("reason", row.reason), text("pool", row.pool), text("allocator", row.allocator)] };
    case "ip-released":
      return { ...base, kind: "release", title: `${row.ip} released by ${row.service}`, facts: [text("reason", row.reason), text("detail", row.detail), text("allocator", row.allocator)] };
    case "ip-rejected":
      return { ...base, kind: "refused", title: `${row.claim} of ${row.ip} for ${row.service} refused`, facts: [text("why", row.why)] };
    case "node-left":
      return { ...base, kind: "left", title: `${row.node} left`, facts: [text("reason", row.reason), text("incarnation", row.incarnation)] };
    case "node-restarting":
      return { ...base, kind: "restarting", title: `${row.node} restarting in place`, facts: [text("incarnation", row.incarnation), ms("its VIPs wait", row.graceMs)] };
    case "fence-entered":
      return { ...base, kind: "fenced", title: `${row.node} fenced itself`, facts: [text("reason", row.reason), at("fenced at (its clock)", row.at)] };
    case "fence-left":
      return { ...base, kind: "fenced", title: `${row.node} answered again after fencing`, facts: [text("reason", row.reason), at("fenced at (its clock)", row.enteredAt), ms("fenced for", row.leftAt - row.enteredAt), text("unfenced because", row.unfenceReason)] };
    case "bgp-sessions":
      return { ...base, kind: "bgp", title: `${row.node}'s BGP sessions: ${sessionsSummary(row.sessions)}`, facts: [text("backend", row.backend), ...row.sessions.map((s) => text(s.peer, sessionText(s)))] };
    case "config-applied":
      return { ...base, kind: "config", title: `configuration ${row.hash.slice(0, 12)}`, facts: [text("source", row.source), ...(row.objects === undefined ? [] : [text("objects changed", row.objects)]), text("LoadBalancer Services", row.services)] };
    case "verdict":
      return { ...base, kind: row.refused === null ? "verdict" : "refused", title: verdictTitle(row), facts: verdictFacts(row) };
    case "invalid":
      return { ...base, kind: "invalid", title: "invalid message skipped", facts: [text("subject", row.subject), ...(row.reason === undefined ? [] : [text("why", `${row.reason}: ${row.detail ?? ""}`)])] };
    case "identity-refused":
      return { ...base, kind: "refused", title: `${row.type} refused: not its publisher's`, facts: [text("subject", row.subject), text("why", row.why)] };
    case "refused":
      return { ...base, kind: "refused", title: `${row.type} refused: ${row.reason}`, facts: [text("subject", row.subject), text("why", row.detail)] };
    default:
      return assertNever(row);
  }
}
