import { describe, expect, it } from "vitest";
import { ATTACKS } from "../../src/bench/attacks/attackList.js";
import { formatAttackRows, runAttacks } from "../../src/bench/attacks/runAttacks.js";

// The `attacks` benchmark's list against a real nats-server with the roles' authorization and a real speaker and
// allocator (compiled CLI: npm run build first): every attack is stopped, and no secret is on the log.

describe("attacks against a real nats-server and agents in their roles", () => {
  it("stops every one of at least 20 attacks, and finds no BGP password on the log", async () => {
    expect(ATTACKS.length).toBeGreaterThanOrEqual(20);
    const report = await runAttacks();
    const table = formatAttackRows(report.rows);
    expect(report.rows.filter((r) => r.outcome === "accepted"), table).toEqual([]);
    expect(report.counts.refused_by_server).toBeGreaterThan(0);
    expect(report.counts.refused_by_projection).toBeGreaterThan(0);
    expect(report.counts.refused_by_probe_guard).toBe(3);
    expect(report.secretsFoundOnLog, "messages holding the BGP password").toBe(0);
  });
});
