import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";

/** Figures are numbers, except a few that name what was measured (bgp-change's `backend`). */
export type BenchResult = { name: string; figures: Record<string, number | string>; settings: Record<string, unknown>; machine: string };

export function machineDescription(): string {
  const cpu = cpus()[0]?.model ?? "unknown cpu";
  return `${cpus().length} x ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}`;
}

/** Prints the figures as a table and writes bench-results/<name>.json for comparison across commits. */
export function report(result: BenchResult, dir = "bench-results"): void {
  const rows = Object.entries(result.figures).map(([k, v]) => [k, typeof v === "string" || Number.isInteger(v) ? String(v) : v.toFixed(2)] as const);
  const width = Math.max(6, ...rows.map(([k]) => k.length));
  const valueWidth = Math.max(5, ...rows.map(([, v]) => v.length));
  const line = `+${"-".repeat(width + 2)}+${"-".repeat(valueWidth + 2)}+`;
  const out = [line, `| ${"figure".padEnd(width)} | ${"value".padStart(valueWidth)} |`, line];
  for (const [k, v] of rows) out.push(`| ${k.padEnd(width)} | ${v.padStart(valueWidth)} |`);
  out.push(line);
  process.stdout.write(`\n${result.name}  (${result.machine})\nsettings: ${JSON.stringify(result.settings)}\n${out.join("\n")}\n`);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${result.name}.json`), `${JSON.stringify(result, null, 2)}\n`);
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index] ?? Number.NaN;
}
