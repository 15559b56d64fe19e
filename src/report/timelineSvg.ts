import type { NodeLane, TimelineView, VipLane } from "../projections/timelineView.js";
import type { Mark } from "../projections/timelineMarks.js";
import type { NodeColours } from "./colours.js";
import { escapeHtml as esc } from "./escapeHtml.js";
import { LANE, marks, memberBar, ownerBar, PATTERNS, px, type Scale } from "./svgBars.js";
import { formatAt, formatOffset, tickStep } from "./timeFormat.js";

// The picture of the whole log: one lane per VIP (owners as coloured bars, claims and allocations as marks), one per
// node (membership), then configuration revisions and cluster events, on one time axis.

const WIDTH = 1180;
const LABEL = 200;
const RIGHT = 24;
const STEP = 28;
const PLOT = WIDTH - LABEL - RIGHT;

type Lane = { label: string; body: (y: number) => string } | { header: string };

/** Lane labels fit the label column; the full name is in the label's title. */
const shorten = (label: string): string => (label.length > 26 ? `${label.slice(0, 25)}…` : label);

function vipLane(lane: VipLane, s: Scale, colours: NodeColours): Lane {
  return { label: lane.vip, body: (y) => lane.owners.map((o) => ownerBar(o, s, y, colours)).join("") + marks(lane.marks, s, y) };
}

function nodeLane(lane: NodeLane, s: Scale): Lane {
  return { label: lane.node, body: (y) => lane.spans.map((span) => memberBar(lane.node, span, s, y)).join("") };
}

function agedOutShade(view: TimelineView, s: Scale, top: number, height: number): string {
  if (!view.membershipAgedOut) return "";
  const until = view.heartbeatsFrom ?? view.to;
  const w = Math.max(1, s.x(until) - s.x(view.from));
  return `<g class="aged-out"><title>heartbeats before ${esc(formatAt(until))} have aged out of HEARTBEATS: membership unknown</title><rect x="${LABEL}" y="${top}" width="${px(w)}" height="${height}" fill="url(#aged)"/>${w > 120 ? `<text class="bar-label muted" x="${LABEL + 6}" y="${top + 15}">heartbeats aged out</text>` : ""}</g>`;
}

function axis(s: Scale, height: number): string {
  const span = Math.max(1, s.to - s.from);
  const step = tickStep(span, 10);
  const ticks: string[] = [];
  for (let t = 0; t <= span; t += step) {
    const tx = px(s.x(s.from + t));
    ticks.push(`<line class="grid" x1="${tx}" x2="${tx}" y1="20" y2="${height}"/><text class="tick" x="${tx}" y="14">${esc(formatOffset(t))}</text>`);
  }
  return ticks.join("");
}

function configMarks(view: TimelineView): Mark[] {
  return view.configs.map((c) => ({
    seq: c.seq,
    time: c.time,
    kind: "config",
    title: `configuration ${c.hash.slice(0, 12)}`,
    facts: [{ label: "source", value: { text: c.source } }, { label: "LoadBalancer Services", value: { text: String(c.services) } }],
  }));
}

function lanesOf(view: TimelineView, s: Scale, colours: NodeColours): Lane[] {
  return [
    { header: "VIP ownership" },
    ...view.vips.map((v) => vipLane(v, s, colours)),
    { header: "Node membership" },
    ...view.nodes.map((n) => nodeLane(n, s)),
    { header: "Configuration" },
    { label: "revisions", body: (y) => marks(configMarks(view), s, y) },
    { header: "Cluster events" },
    { label: "leaves, restarts, invalid", body: (y) => marks(view.cluster, s, y) },
  ];
}

export function renderTimelineSvg(view: TimelineView, colours: NodeColours): string {
  const span = Math.max(1, view.to - view.from);
  const s: Scale = { x: (t) => LABEL + ((t - view.from) / span) * PLOT, from: view.from, to: view.to };
  let y = 24;
  const parts: string[] = [];
  let membershipTop = 0;
  for (const lane of lanesOf(view, s, colours)) {
    if ("header" in lane) {
      if (lane.header === "Node membership") membershipTop = y + STEP;
      parts.push(`<text class="section" x="4" y="${y + 18}">${esc(lane.header)}</text>`);
    } else {
      parts.push(`<g class="lane"><text class="lane-label" x="${LABEL - 8}" y="${y + 15}"><title>${esc(lane.label)}</title>${esc(shorten(lane.label))}</text><rect class="lane-bg" x="${LABEL}" y="${y}" width="${PLOT}" height="${LANE}"/>${lane.body(y)}</g>`);
    }
    y += STEP;
  }
  const shade = agedOutShade(view, s, membershipTop, Math.max(LANE, view.nodes.length * STEP - (STEP - LANE)));
  return `<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y + 8}" viewBox="0 0 ${WIDTH} ${y + 8}" role="img" aria-label="timeline">${PATTERNS}${axis(s, y)}${parts.join("")}${shade}</svg>`;
}
