import type { Mark } from "../projections/timelineMarks.js";
import type { FailoverView, TimelineView } from "../projections/timelineView.js";
import type { NodeColours } from "./colours.js";
import { escapeHtml as esc } from "./escapeHtml.js";
import { renderFailoverStrip } from "./failoverStrip.js";
import { formatAt, formatFact, formatMs, formatOffset } from "./timeFormat.js";

// The page's text parts: one panel per failover (last heard, declared dead, claim, the gap a client could see),
// the configuration revisions and every event with its facts.

const when = (view: TimelineView, t: number): string => `${esc(formatAt(t))} <span class="muted">(${esc(formatOffset(t - view.from))})</span>`;

function declared(view: TimelineView, f: FailoverView): string {
  if (f.declaredDeadAt !== null) return when(view, f.declaredDeadAt);
  if (f.leftAt !== null) return `not dead: it left at ${when(view, f.leftAt)} (a planned move)`;
  if (f.reason !== "owner-dead") return `not dead: ${esc(f.reason)}`;
  const agedOut = view.heartbeatsFrom === null || (f.lastHeardAt ?? 0) < view.heartbeatsFrom;
  return agedOut ? "not shown: those heartbeats have aged out of HEARTBEATS" : "not seen in the retained heartbeats";
}

function gap(f: FailoverView): string {
  if (f.gapMs === null) return "unknown";
  if (f.reason === "owner-left") return "none: a planned handover (the leaving owner answers until the claim)";
  return `up to ${esc(formatMs(f.gapMs))} <span class="muted">(last beat to claim)</span>`;
}

function failoverPanel(view: TimelineView, f: FailoverView, colours: NodeColours): string {
  const rows: [string, string][] = [
    ["owner last heard", f.lastHeardAt === null ? "never heard by the claimant" : when(view, f.lastHeardAt)],
    ["declared dead", declared(view, f)],
    ["claimed by", `<b>${esc(f.to)}</b> at ${when(view, f.claimedAt)}, term ${f.term}`],
    ["new owner announced", "right after its claim (gratuitous ARP / unsolicited NA follow the claim)"],
    ["gap a client could see", gap(f)],
    ["evidence", `silent for ${f.silentForMs === null ? "?" : esc(formatMs(f.silentForMs))} of live log time; claimant at heartbeat #${f.heartbeatSeq}; ${f.eligibleNodes} eligible node(s)`],
  ];
  const body = rows.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${v}</td></tr>`).join("");
  return `<article class="failover" data-seq="${f.seq}" data-reason="${esc(f.reason)}"><h3>${esc(f.vip)}: ${esc(f.from)} → ${esc(f.to)} <span class="reason">${esc(f.reason)}</span> <span class="muted">EVENTS #${f.seq}</span></h3><table>${body}</table>${renderFailoverStrip(view, f, colours)}</article>`;
}

export function failoversSection(view: TimelineView, colours: NodeColours): string {
  const panels = view.failovers.map((f) => failoverPanel(view, f, colours)).join("");
  return `<section id="failovers"><h2>Failovers (${view.failovers.length})</h2>${panels || '<p class="muted">No VIP changed owner in this log.</p>'}</section>`;
}

export function configsSection(view: TimelineView): string {
  const rows = view.configs.map((c) => `<tr><td>#${c.seq}</td><td>${when(view, c.time)}</td><td><code>${esc(c.hash.slice(0, 12))}</code></td><td>${esc(c.source)}</td><td>${c.services}</td></tr>`).join("");
  return `<section id="configs"><h2>Configuration revisions (${view.configs.length})</h2><table class="list"><tr><th>seq</th><th>time</th><th>hash</th><th>source</th><th>Services</th></tr>${rows}</table></section>`;
}

function allMarks(view: TimelineView): Mark[] {
  return [...view.vips.flatMap((v) => v.marks), ...view.cluster].sort((a, b) => a.seq - b.seq);
}

export function eventsSection(view: TimelineView): string {
  const rows = allMarks(view)
    .map((m) => `<tr class="event event-${m.kind}" data-seq="${m.seq}"><td>#${m.seq}</td><td>${when(view, m.time)}</td><td>${esc(m.title)}</td><td>${m.facts.map((f) => `${esc(f.label)}: ${esc(formatFact(f.value))}`).join("<br>")}</td></tr>`)
    .join("");
  return `<section id="events"><details><summary>Every event with its facts (${view.counts.events})</summary><table class="list"><tr><th>seq</th><th>time</th><th>what</th><th>facts</th></tr>${rows}</table></details></section>`;
}
