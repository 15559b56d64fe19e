import type { FailoverView, TimelineView } from "../projections/timelineView.js";
import type { NodeColours } from "./colours.js";
import { escapeHtml as esc } from "./escapeHtml.js";
import { LANE, marks, memberBar, ownerBar, px, type Scale } from "./svgBars.js";
import { formatAt, tickStep } from "./timeFormat.js";

// One failover up close: the VIP's owners and both nodes' membership around it, with lines where the owner was last
// heard, declared dead and the claim, on an axis in milliseconds from the last beat.

const WIDTH = 780;
const LABEL = 130;
const PLOT = WIDTH - LABEL - 24;
const TOP = 48;
const STEP = 26;

const signedMs = (ms: number): string => (ms === 0 ? "0" : `${ms > 0 ? "+" : "−"}${Math.abs(Math.round(ms))} ms`);

function moments(f: FailoverView): { label: string; at: number }[] {
  const list = [
    { label: `${f.from} last heard`, at: f.lastHeardAt },
    { label: "declared dead", at: f.declaredDeadAt },
    { label: `${f.from} left`, at: f.leftAt },
    { label: `${f.to} claims, then announces`, at: f.claimedAt },
  ];
  return list.flatMap((m) => (m.at === null ? [] : [{ label: m.label, at: m.at }])).sort((a, b) => a.at - b.at);
}

function momentLines(f: FailoverView, s: Scale, bottom: number): string {
  return moments(f)
    .map((m, i) => {
      const x = s.x(m.at);
      const anchor = x > LABEL + PLOT * 0.6 ? "end" : "start";
      const tx = anchor === "end" ? x - 4 : x + 4;
      return `<g class="moment"><title>${esc(`${m.label}: ${formatAt(m.at)}`)}</title><line x1="${px(x)}" x2="${px(x)}" y1="${6 + i * 13}" y2="${bottom}"/><text x="${px(tx)}" y="${14 + i * 13}" text-anchor="${anchor}">${esc(m.label)}</text></g>`;
    })
    .join("");
}

function msAxis(s: Scale, origin: number, y: number): string {
  const step = tickStep(s.to - s.from, 8);
  const ticks: string[] = [];
  for (let t = Math.ceil((s.from - origin) / step) * step; origin + t <= s.to; t += step) {
    ticks.push(`<text class="tick" x="${px(s.x(origin + t))}" y="${y}">${esc(signedMs(t))}</text>`);
  }
  return ticks.join("");
}

export function renderFailoverStrip(view: TimelineView, f: FailoverView, colours: NodeColours): string {
  const origin = f.lastHeardAt ?? f.claimedAt;
  const pad = Math.max(150, (f.claimedAt - origin) * 0.4);
  const from = origin - pad;
  const to = f.claimedAt + pad;
  const s: Scale = { x: (t) => LABEL + ((t - from) / (to - from)) * PLOT, from, to };
  const vip = view.vips.find((v) => v.vip === f.vip);
  const lanes: [string, (y: number) => string][] = [
    [f.vip, (y) => (vip?.owners.map((o) => ownerBar(o, s, y, colours)).join("") ?? "") + marks(vip?.marks.filter((m) => m.kind === "claim") ?? [], s, y)],
    ...[f.from, f.to].map((node): [string, (y: number) => string] => [node, (y) => (view.nodes.find((n) => n.node === node)?.spans ?? []).map((span) => memberBar(node, span, s, y)).join("")]),
  ];
  const body = lanes.map(([label, draw], i) => {
    const y = TOP + i * STEP;
    return `<text class="lane-label" x="${LABEL - 8}" y="${y + 15}">${esc(label.length > 18 ? `${label.slice(0, 17)}…` : label)}</text><rect class="lane-bg" x="${LABEL}" y="${y}" width="${PLOT}" height="${LANE}"/>${draw(y)}`;
  });
  const bottom = TOP + lanes.length * STEP;
  const height = bottom + 18;
  return `<svg class="strip" xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${height}" viewBox="0 0 ${WIDTH} ${height}" role="img" aria-label="failover up close">${body.join("")}${momentLines(f, s, bottom)}${msAxis(s, origin, bottom + 14)}</svg>`;
}
