import type { Mark } from "../projections/timelineMarks.js";
import type { NodeLane, OwnerSpan, TimelineView, VipLane } from "../projections/timelineView.js";
import { escapeHtml as esc } from "./escapeHtml.js";
import { formatAt, formatFact, formatMs, formatOffset, tickStep } from "./timeFormat.js";
import { STATUS_COLOURS, type NodeColours } from "./colours.js";

// The picture: one lane per VIP (owners as coloured bars, claims and allocations as marks), one per node
// (membership), then configuration revisions and cluster events, on one time axis. Hover text is SVG <title>.

const WIDTH = 1180;
const LABEL = 200;
const RIGHT = 24;
const LANE = 22;
const STEP = 28;
const PLOT = WIDTH - LABEL - RIGHT;

type Scale = (t: number) => number;
type Lane = { label: string; body: (y: number) => string } | { header: string };

export function markTip(mark: Mark): string {
  const facts = mark.facts.map((f) => `${f.label}: ${formatFact(f.value)}`);
  return [mark.title, `${formatAt(mark.time)} (EVENTS #${mark.seq})`, ...facts].join("\n");
}

const px = (n: number): string => n.toFixed(1);

function markShape(mark: Mark, x: number, mid: number): string {
  const c = `class="mark mark-${mark.kind}"`;
  switch (mark.kind) {
    case "claim":
      return `<circle ${c} cx="${px(x)}" cy="${mid}" r="5"/>`;
    case "allocation":
    case "config":
      return `<path ${c} d="M${px(x)} ${mid - 6}l6 6l-6 6l-6-6z"/>`;
    case "release":
    case "left":
    case "restarting":
      return `<rect ${c} x="${px(x - 4.5)}" y="${mid - 4.5}" width="9" height="9"/>`;
    default:
      return `<path ${c} d="M${px(x)} ${mid - 7}l6 11h-12z"/>`;
  }
}

function marks(list: readonly Mark[], x: Scale, y: number): string {
  return list.map((m) => `<g data-seq="${m.seq}"><title>${esc(markTip(m))}</title>${markShape(m, x(m.time), y + LANE / 2)}</g>`).join("");
}

function ownerBar(span: OwnerSpan, x: Scale, y: number, colours: NodeColours): string {
  const w = Math.max(1, x(span.to) - x(span.from));
  const colour = colours(span.node);
  const what = span.answering ? `${span.node} owns it (term ${span.term}, ${span.reason})` : `${span.node} still owns it but is silent: nobody answers`;
  const tip = `${what}\n${formatAt(span.from)} for ${formatMs(span.to - span.from)}`;
  const fill = span.answering ? `fill="${colour}"` : `fill="url(#silent)" stroke="${colour}" stroke-width="2"`;
  const label = w > 46 ? `<text class="bar-label" x="${px(x(span.from) + 8)}" y="${y + 15}">${esc(span.answering ? span.node : "no answer")}</text>` : "";
  return `<g class="owner${span.answering ? "" : " silent"}" data-node="${esc(span.node)}"><title>${esc(tip)}</title><rect x="${px(x(span.from))}" y="${y + 2}" width="${px(w)}" height="${LANE - 4}" ${fill}/>${label}</g>`;
}

function vipLane(lane: VipLane, x: Scale, colours: NodeColours): Lane {
  return { label: lane.vip, body: (y) => lane.owners.map((s) => ownerBar(s, x, y, colours)).join("") + marks(lane.marks, x, y) };
}

function nodeLane(lane: NodeLane, x: Scale): Lane {
  return {
    label: lane.node,
    body: (y) =>
      lane.spans
        .map((s) => {
          const tip = `${lane.node} ${s.status} (incarnation ${s.incarnation})\nfrom ${formatAt(s.from)} for ${formatMs(s.to - s.from)}`;
          const w = Math.max(1, x(s.to) - x(s.from));
          const label = w > 40 ? `<text class="bar-label" x="${px(x(s.from) + 4)}" y="${y + 15}">${s.status}</text>` : "";
          return `<g class="member member-${s.status}"><title>${esc(tip)}</title><rect x="${px(x(s.from))}" y="${y + 2}" width="${px(w)}" height="${LANE - 4}" fill="${STATUS_COLOURS[s.status]}"/>${label}</g>`;
        })
        .join(""),
  };
}

function agedOutShade(view: TimelineView, x: Scale, top: number, height: number): string {
  if (!view.membershipAgedOut) return "";
  const until = view.heartbeatsFrom ?? view.to;
  const w = Math.max(1, x(until) - x(view.from));
  return `<g class="aged-out"><title>heartbeats before ${esc(formatAt(until))} have aged out of HEARTBEATS: membership unknown</title><rect x="${LABEL}" y="${top}" width="${px(w)}" height="${height}" fill="url(#aged)"/>${w > 120 ? `<text class="bar-label muted" x="${LABEL + 6}" y="${top + 15}">heartbeats aged out</text>` : ""}</g>`;
}

function axis(view: TimelineView, x: Scale, height: number): string {
  const span = Math.max(1, view.to - view.from);
  const step = tickStep(span, 10);
  const ticks: string[] = [];
  for (let t = 0; t <= span; t += step) {
    const tx = px(x(view.from + t));
    ticks.push(`<line class="grid" x1="${tx}" x2="${tx}" y1="20" y2="${height}"/><text class="tick" x="${tx}" y="14">${esc(formatOffset(t))}</text>`);
  }
  return ticks.join("");
}

function lanesOf(view: TimelineView, x: Scale, colours: NodeColours): Lane[] {
  const configLane: Lane = { label: "revisions", body: (y) => marks(view.configs.map((c) => ({ seq: c.seq, time: c.time, kind: "config", title: `configuration ${c.hash.slice(0, 12)}`, facts: [{ label: "source", value: { text: c.source } }, { label: "LoadBalancer Services", value: { text: String(c.services) } }] })), x, y) };
  return [
    { header: "VIP ownership" },
    ...view.vips.map((v) => vipLane(v, x, colours)),
    { header: "Node membership" },
    ...view.nodes.map((n) => nodeLane(n, x)),
    { header: "Configuration" },
    configLane,
    { header: "Cluster events" },
    { label: "leaves, restarts, invalid", body: (y) => marks(view.cluster, x, y) },
  ];
}

export function renderTimelineSvg(view: TimelineView, colours: NodeColours): string {
  const span = Math.max(1, view.to - view.from);
  const x: Scale = (t) => LABEL + ((t - view.from) / span) * PLOT;
  const lanes = lanesOf(view, x, colours);
  let y = 24;
  const parts: string[] = [];
  let membershipTop = 0;
  for (const lane of lanes) {
    if ("header" in lane) {
      if (lane.header === "Node membership") membershipTop = y + STEP;
      parts.push(`<text class="section" x="4" y="${y + 18}">${esc(lane.header)}</text>`);
    } else {
      parts.push(`<g class="lane"><text class="lane-label" x="${LABEL - 8}" y="${y + 15}">${esc(lane.label)}</text><rect class="lane-bg" x="${LABEL}" y="${y}" width="${PLOT}" height="${LANE}"/>${lane.body(y)}</g>`);
    }
    y += STEP;
  }
  const shade = agedOutShade(view, x, membershipTop, Math.max(LANE, view.nodes.length * STEP - (STEP - LANE)));
  return `<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${y + 8}" viewBox="0 0 ${WIDTH} ${y + 8}" role="img" aria-label="timeline">${PATTERNS}${axis(view, x, y)}${parts.join("")}${shade}</svg>`;
}

const PATTERNS =
  '<defs><pattern id="silent" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="#fff"/><rect width="3" height="8" fill="#d33"/></pattern>' +
  '<pattern id="aged" width="10" height="10" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="10" height="10" fill="#eee"/><rect width="4" height="10" fill="#ccc"/></pattern></defs>';
