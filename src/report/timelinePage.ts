import type { TimelineView } from "../projections/timelineView.js";
import { nodeColours, STATUS_COLOURS } from "./colours.js";
import { escapeHtml as esc } from "./escapeHtml.js";
import { PAGE_STYLE } from "./pageStyle.js";
import { configsSection, eventsSection, failoversSection } from "./timelinePanels.js";
import { formatAt } from "./timeFormat.js";
import { renderTimelineSvg } from "./timelineSvg.js";

// One self-contained HTML file: inline CSS and SVG, no script at all, and a policy that forbids fetching anything
// or running any script, so the page opens offline and text from the log could not run even if it got past escaping.

const POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:";

function summary(view: TimelineView): string {
  const range = view.counts.events + view.counts.heartbeats === 0 ? "the log holds no events" : `${esc(formatAt(view.from))} to ${esc(formatAt(view.to))}`;
  const notes = [
    `${view.counts.events} EVENTS message(s)${view.counts.invalid > 0 ? `, ${view.counts.invalid} invalid (skipped)` : ""}; ${view.counts.heartbeats} heartbeat(s) still on HEARTBEATS`,
    view.membershipAgedOut
      ? `<b class="warn">Membership detail has aged out</b>: HEARTBEATS keeps heartbeats for a limited time (60 s by default), so node membership is shown only from ${view.heartbeatsFrom === null ? "(no heartbeat is left)" : esc(formatAt(view.heartbeatsFrom))}; each claim still carries the evidence it was made on.`
      : "Node membership is replayed from the heartbeats, with the failure-detector settings given to the replay.",
    "Fencing is not recorded on the log by this version, so no fenced span is shown.",
  ];
  return `<p class="range">${range}</p><ul class="notes">${notes.map((n) => `<li>${n}</li>`).join("")}</ul>`;
}

function legend(): string {
  const statuses = Object.entries(STATUS_COLOURS).map(([s, c]) => `<span class="key"><i style="background:${c}"></i>${s}</span>`).join("");
  return `<p class="legend">${statuses}<span class="key"><i class="silent"></i>owner silent: nobody answers</span><span class="key"><i class="aged"></i>heartbeats aged out</span><span class="key">● claim</span><span class="key">◆ allocation / revision</span><span class="key">■ release / leave / restart</span><span class="key">▲ conflict / refused / stale</span><span class="muted">hover a bar or mark for its reason and evidence</span></p>`;
}

export function renderTimelinePage(view: TimelineView): string {
  const colours = nodeColours([...view.nodes.map((n) => n.node), ...view.vips.flatMap((v) => v.owners.map((o) => o.node))]);
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    `<meta http-equiv="Content-Security-Policy" content="${POLICY}">`,
    "<title>vipmesh replay: ownership timeline</title>",
    `<style>${PAGE_STYLE}</style></head><body>`,
    "<h1>vipmesh replay: ownership timeline</h1>",
    summary(view),
    legend(),
    `<section id="timeline">${renderTimelineSvg(view, colours)}</section>`,
    failoversSection(view, colours),
    configsSection(view),
    eventsSection(view),
    "</body></html>",
  ].join("\n");
}
