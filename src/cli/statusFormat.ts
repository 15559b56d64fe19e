import type { ClusterStatus } from "../projections/status/statusModel.js";
import { printable } from "./printable.js";

// The text of `vipmesh status`: one table per section, ages measured back from the log's head (not this clock).

const iso = (ms: number): string => new Date(ms).toISOString();

/** "3.2 s", "4 min", "2 h" before `now`; "-" when unknown. */
export function ago(now: number, at: number | null): string {
  if (at === null) return "-";
  const ms = Math.max(0, now - at);
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s ago`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)} min ago`;
  if (ms < 172_800_000) return `${Math.floor(ms / 3_600_000)} h ago`;
  return `${Math.floor(ms / 86_400_000)} d ago`;
}

/** How long an episode lasted, by its node's clock: "20.1 s", "4 min". */
const seconds = (ms: number): string => ago(Math.max(0, ms), 0).replace(/ ago$/, "");

/** Columns padded to their widest cell; the last column is not padded. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]): string => `  ${cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join("  ")}`.trimEnd();
  return [line(header), ...rows.map(line)];
}

function nodes(s: ClusterStatus): string[] {
  if (s.nodes.length === 0) return ["  (none heard)"];
  return table(
    ["NODE", "STATUS", "READY", "VERSION", "LAST HEARD", "FENCED"],
    s.nodes.map((n) => [
      n.node,
      n.restartingUntil !== null && n.restartingUntil > s.now ? `${n.status} (restarting)` : n.status,
      n.ready === null ? "-" : n.ready ? "yes" : "no",
      n.version ?? "-",
      ago(s.now, n.lastHeardAt),
      n.fenced !== null ? `yes: ${n.fenced.reason}, ${ago(s.now, n.fenced.loggedAt)}` : n.lastFence ? `no (last: ${n.lastFence.reason} for ${seconds(n.lastFence.leftAt - n.lastFence.enteredAt)}, logged ${ago(s.now, n.lastFence.loggedAt)})` : "no",
    ]),
  );
}

function vips(s: ClusterStatus): string[] {
  if (s.vips.length === 0) return ["  (none allocated)"];
  return table(
    ["VIP", "SERVICE", "POOL", "OWNER", "SINCE", "WHY"],
    s.vips.map((v) => [
      v.vip,
      v.services.join(",") || "-",
      v.pool ?? "-",
      !v.l2 ? "(not L2)" : v.owner === null ? "(none)" : v.ownerStatus === "alive" ? v.owner : `${v.owner} (${v.ownerStatus ?? "?"})`,
      ago(s.now, v.since),
      v.reason === null ? "-" : `${v.reason}, term ${v.term}${v.conflict ? `; another MAC ${v.conflict.lastMac} answered` : ""}`,
    ]),
  );
}

function pools(s: ClusterStatus): string[] {
  if (s.pools.length === 0) return ["  (none configured)"];
  return table(
    ["POOL", "IPv4 USED", "IPv6 USED", "USE"],
    s.pools.map((p) => [p.pool, `${p.v4.assigned} / ${p.v4.total}`, `${p.v6.assigned} / ${p.v6.total}`, `${p.usedPercent} %`]),
  );
}

function bgp(s: ClusterStatus): string[] {
  const rows = s.bgp.flatMap((b) =>
    b.sessions.length === 0
      ? [[b.node, "(no peer)", "-", "-", "-", "-", "-", "-"]]
      : b.sessions.map((x) => [
          b.current ? b.node : `${b.node} (old incarnation)`,
          x.peer,
          x.address,
          x.peerASN === null ? "dynamic" : String(x.peerASN),
          x.state === "established" ? "Established" : x.state,
          ago(s.now, x.since),
          String(x.prefixesSent),
          x.bfd === undefined ? "-" : `${x.bfd.status}${x.bfd.echo === undefined ? "" : ` (echo: ${x.bfd.echo})`}`,
        ]),
  );
  if (rows.length === 0) return ["  (no speaker reported BGP sessions)"];
  return table(["NODE", "PEER", "ADDRESS", "ASN", "STATE", "SINCE", "PREFIXES", "BFD"], rows);
}

function config(s: ClusterStatus): string[] {
  const r = s.config.revision;
  const head = r === null ? "  no configuration applied" : `  revision ${r.hash.slice(0, 12)} from ${r.source}, applied ${ago(s.now, r.time)} (EVENTS #${r.seq})`;
  const refused = s.config.refusedSince;
  if (refused.count === 0) return [head, "  refused since: none"];
  return [head, `  refused since: ${refused.count}`, ...refused.first.map((m) => `    #${m.seq} ${m.type ?? "(undecodable)"} on ${m.subject}: ${m.reason}: ${m.detail}`)];
}

function problems(s: ClusterStatus): string[] {
  if (s.problems.length === 0) return ["PROBLEMS: none"];
  return [`PROBLEMS (${s.problems.length})`, ...table(["CODE", "ABOUT", "DETAIL"], s.problems.map((p) => [p.code, p.about, p.detail]))];
}

export function formatStatus(s: ClusterStatus, origin: string): string {
  const lines = [
    `vipmesh status of ${origin} at ${iso(s.now)} (the log's head: EVENTS #${s.log.eventsSeq}, HEARTBEATS #${s.log.heartbeatsSeq})`,
    "", "NODES", ...nodes(s),
    "", "VIPS", ...vips(s),
    "", "POOLS", ...pools(s),
    "", "BGP SESSIONS", ...bgp(s),
    "", "CONFIGURATION", ...config(s),
    "", ...problems(s),
  ];
  // Names, reasons and details come from the log, which anyone with write access could fill with escape sequences.
  return printable(lines.join("\n"));
}
