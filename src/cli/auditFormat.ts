import type { AuditReport, Finding } from "../projections/audit/findings.js";
import { printable } from "./printable.js";

// The audit as text for people: violations, then what could not be checked, then what is listed for information.

const ref = (e: Finding["events"][number]): string => `${e.stream} #${e.seq}${e.subject ? ` ${e.subject}` : ""}`;

function block(title: string, findings: readonly Finding[]): string[] {
  if (findings.length === 0) return [];
  const lines = [`${title}:`];
  for (const f of findings) {
    const began = f.at === undefined ? "" : ` (from ${new Date(f.at).toISOString()} by its clock)`;
    lines.push(`  ${f.check}  ${f.about}  ${f.message}${began}`);
    for (const e of f.events) lines.push(`      ${ref(e)}`);
  }
  return lines;
}

export function formatAudit(report: AuditReport, origin: string): string {
  const c = report.counts;
  const by = (level: Finding["level"]): Finding[] => report.findings.filter((f) => f.level === level);
  const verdict = c.violations === 0 ? "no violations" : `${c.violations} violation(s)`;
  const lines = [
    `audit of ${origin}: ${c.events} EVENTS, ${c.heartbeats} HEARTBEATS messages, ${c.snapshots} snapshot(s): ${verdict}, ${c.notes} not checkable, ${c.listings} listed`,
    ...block("Violations", by("violation")),
    ...block("Not checkable", by("note")),
    ...block("Listed (not violations)", by("listing")),
  ];
  // Names and reasons come from the log, which anyone with write access could have filled with escape sequences.
  return lines.map(printable).join("\n");
}
