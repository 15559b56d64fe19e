import type { ShownStatus } from "../projections/membershipHistory.js";

// Colours come from a fixed palette by position, never from log text: a node name only ever selects an index.

const PALETTE = ["#4e79a7", "#f28e2b", "#76b7b2", "#b07aa1", "#9c755f", "#ff9da7", "#59a14f", "#edc948", "#bab0ac", "#e15759"];

export type NodeColours = (node: string) => string;

export function nodeColours(nodes: readonly string[]): NodeColours {
  const order = [...new Set(nodes)].sort();
  return (node) => PALETTE[Math.max(0, order.indexOf(node)) % PALETTE.length] ?? "#888";
}

export const STATUS_COLOURS: Readonly<Record<ShownStatus, string>> = {
  alive: "#59a14f",
  suspect: "#edc948",
  dead: "#e15759",
  left: "#9aa0a6",
};
