import type { FactValue } from "../projections/timelineMarks.js";

// How the page prints log times and durations: UTC with milliseconds, as the log stores them.

export function formatAt(ms: number): string {
  return new Date(ms).toISOString().replace("T", " ");
}

export function formatMs(ms: number): string {
  return ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`;
}

/** Seconds after the start of the page's time axis. */
export function formatOffset(ms: number): string {
  return `+${(ms / 1000).toFixed(ms < 10_000 ? 2 : ms < 100_000 ? 1 : 0)} s`;
}

export function formatFact(value: FactValue): string {
  if ("at" in value) return formatAt(value.at);
  if ("ms" in value) return formatMs(value.ms);
  return value.text;
}

const STEPS_S = [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21600, 43200, 86400];

/** A tick step (ms) giving at most `maxTicks` ticks over `spanMs`. */
export function tickStep(spanMs: number, maxTicks: number): number {
  const step = STEPS_S.find((s) => (spanMs / 1000) / s <= maxTicks) ?? Math.ceil(spanMs / 1000 / maxTicks / 86400) * 86400;
  return step * 1000;
}
