import { expect } from "vitest";
import type { AuditReport, Finding } from "../../src/projections/audit/findings.js";

// Every lab test file that drives faults ends with this in afterAll: its cluster's log is audited (violations only;
// conflicts, fencing episodes and refusals are listings, not failures), the lab is torn down whatever the audit
// said, then the file fails if there was a violation. So the whole fault matrix is audited on every run.

type Audited = { audit: () => Promise<AuditReport> };

/** What a violation looks like in a failure message: its check, subject, message and the events that show it. */
const brief = (f: Finding): string => `${f.check} ${f.about}: ${f.message} [${f.events.map((e) => `${e.stream}#${e.seq}`).join(" ")}]`;

/**
 * Audits `cluster`, then runs `destroy`, then expects the violations to be exactly `expected` (checks and subjects),
 * none by default. Nothing to do when the cluster never started.
 */
export async function auditThenDestroy(cluster: Audited | undefined, destroy: () => Promise<void>, expected: Pick<Finding, "check" | "about">[] = []): Promise<void> {
  if (cluster === undefined) return;
  let violations: Finding[] | undefined;
  let failure: unknown;
  try {
    const report = await cluster.audit();
    const { events, heartbeats, violations: v, notes, listings } = report.counts;
    console.log(`lab audit: ${events} events, ${heartbeats} heartbeats: ${v} violations, ${notes} notes, ${listings} listings (${[...new Set(report.findings.map((f) => f.check))].join(", ")})`);
    violations = report.findings.filter((f) => f.level === "violation");
  } catch (err) {
    failure = err;
  } finally {
    await destroy();
  }
  if (violations === undefined) throw failure;
  expect(violations.map((f) => ({ check: f.check, about: f.about })), violations.map(brief).join("\n")).toEqual(expected);
}
