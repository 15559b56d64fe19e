import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { auditCommand } from "../../src/cli/auditCommand.js";
import { formatAudit } from "../../src/cli/auditFormat.js";
import { replayCommand } from "../../src/cli/replayCommand.js";
import { statusCommand } from "../../src/cli/statusCommand.js";
import { formatStatus } from "../../src/cli/statusFormat.js";
import { DEFAULT_MEMBERSHIP_SETTINGS } from "../../src/projections/settings.js";

// Exports of real lab runs (test/lab/audit-lab.test.ts writes one: a crash, a restart, a pulled cable, a handover),
// read back with --from: replay and audit must keep printing what they printed when the fixture was made.

const FIXTURE = "test/fixtures/lab-failover.jsonl.gz";
const golden = (name: string): string => readFileSync(`test/fixtures/${name}`, "utf8").replace(/\n$/, "");

describe("exported lab failover", () => {
  it("replays to the golden text", async () => {
    const lines: string[] = [];
    const rows = await replayCommand({ nats: [], from: FIXTURE, vip: null, json: false }, (t) => lines.push(t));
    expect(lines.join("\n")).toBe(golden("lab-failover.replay.txt"));
    expect(rows.filter((r) => r.kind === "owner-changed").map((r) => r.kind === "owner-changed" && r.reason)).toEqual(["unowned", "owner-dead", "owner-dead", "owner-left"]);
  });

  it("audits to the golden text: no violation, the cable pull's fencing listed", async () => {
    const { report, origin } = await auditCommand({ nats: [], from: FIXTURE, settings: { membership: DEFAULT_MEMBERSHIP_SETTINGS, handoverBoundMs: 250 } });
    expect(report.counts.violations).toBe(0);
    expect(formatAudit(report, origin)).toBe(golden("lab-failover.audit.txt"));
  });

  it("shows the status at the export's last message: node3 left, the VIP with node1, no problem", async () => {
    const settings = { membership: DEFAULT_MEMBERSHIP_SETTINGS, handoverBoundMs: 250, poolWarnPercent: 90 };
    const { status, origin } = await statusCommand({ nats: [], from: FIXTURE, settings });
    expect(status.problems).toEqual([]);
    expect(status.vips.map((v) => [v.vip, v.owner, v.reason])).toEqual([["198.18.0.200", "node1", "owner-left"]]);
    expect(formatStatus(status, origin)).toBe(golden("lab-failover.status.txt"));
  });
});
