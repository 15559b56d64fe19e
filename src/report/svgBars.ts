import type { StatusSpan } from "../projections/membershipHistory.js";
import type { Mark } from "../projections/timelineMarks.js";
import type { OwnerSpan } from "../projections/timelineView.js";
import { STATUS_COLOURS, type NodeColours } from "./colours.js";
import { escapeHtml as esc } from "./escapeHtml.js";
import { formatAt, formatFact, formatMs } from "./timeFormat.js";

// The shapes both pictures share (the whole log, and one failover up close): owner and membership bars, and
// marks, each with its hover text as an SVG <title>. A bar is clipped to the picture's window.

export type Scale = { x: (t: number) => number; from: number; to: number };

export const LANE = 22;

export const px = (n: number): string => n.toFixed(1);

/** A label is drawn only where it fits in its bar (at most about 7.5 px a character at 11 px, bold). */
function barLabel(text: string, left: number, width: number, y: number): string {
  return width > text.length * 7.5 + 12 ? `<text class="bar-label" x="${px(left + 8)}" y="${y + 15}">${esc(text)}</text>` : "";
}

function bar(s: Scale, from: number, to: number): { left: number; width: number } | null {
  const a = Math.max(from, s.from);
  const b = Math.min(to, s.to);
  if (b < a) return null;
  return { left: s.x(a), width: Math.max(1, s.x(b) - s.x(a)) };
}

export function ownerBar(span: OwnerSpan, s: Scale, y: number, colours: NodeColours): string {
  const at = bar(s, span.from, span.to);
  if (!at) return "";
  const colour = colours(span.node);
  const what = span.answering ? `${span.node} owns it (term ${span.term}, ${span.reason})` : `${span.node} still owns it but is silent: nobody answers`;
  const tip = `${what}\n${formatAt(span.from)} for ${formatMs(span.to - span.from)}`;
  const fill = span.answering ? `fill="${colour}"` : `fill="url(#silent)" stroke="${colour}" stroke-width="2"`;
  const label = barLabel(span.answering ? span.node : "no answer", at.left, at.width, y);
  return `<g class="owner${span.answering ? "" : " silent"}" data-node="${esc(span.node)}"><title>${esc(tip)}</title><rect x="${px(at.left)}" y="${y + 2}" width="${px(at.width)}" height="${LANE - 4}" ${fill}/>${label}</g>`;
}

export function memberBar(node: string, span: StatusSpan, s: Scale, y: number): string {
  const at = bar(s, span.from, span.to);
  if (!at) return "";
  const tip = `${node} ${span.status} (incarnation ${span.incarnation})\nfrom ${formatAt(span.from)} for ${formatMs(span.to - span.from)}`;
  return `<g class="member member-${span.status}"><title>${esc(tip)}</title><rect x="${px(at.left)}" y="${y + 2}" width="${px(at.width)}" height="${LANE - 4}" fill="${STATUS_COLOURS[span.status]}"/>${barLabel(span.status, at.left, at.width, y)}</g>`;
}

function markTip(mark: Mark): string {
  const facts = mark.facts.map((f) => `${f.label}: ${formatFact(f.value)}`);
  return [mark.title, `${formatAt(mark.time)} (EVENTS #${mark.seq})`, ...facts].join("\n");
}

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

export function marks(list: readonly Mark[], s: Scale, y: number): string {
  return list
    .filter((m) => m.time >= s.from && m.time <= s.to)
    .map((m) => `<g data-seq="${m.seq}"><title>${esc(markTip(m))}</title>${markShape(m, s.x(m.time), y + LANE / 2)}</g>`)
    .join("");
}

export const PATTERNS =
  '<defs><pattern id="silent" width="8" height="8" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="8" height="8" fill="#fff"/><rect width="3" height="8" fill="#d33"/></pattern>' +
  '<pattern id="aged" width="10" height="10" patternUnits="userSpaceOnUse" patternTransform="rotate(45)"><rect width="10" height="10" fill="#eee"/><rect width="4" height="10" fill="#ccc"/></pattern></defs>';
