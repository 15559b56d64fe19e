import { describe, expect, it } from "vitest";
import { ATTACKS } from "../../src/bench/attacks/attackList.js";
import { formatAttackRows, runAttacks } from "../../src/bench/attacks/runAttacks.js";

// The `attacks` benchmark's list against a real nats-server with the roles' authorization and a real speaker and
// allocator, and a second one with auth callout answered by a real controller over a real kube-apiserver (compiled
// CLI: npm run build first): every attack is stopped, and no secret is on the log.

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
    // The speakers' logins through the auth callout: each refused by the server, the bad tokens for their own reason.
    const callout = report.rows.filter((r) => r.name.startsWith("callout:"));
    expect(callout.map((r) => r.outcome), table).toEqual(Array(10).fill("refused_by_server"));
    expect(callout.slice(0, 6).map((r) => /\(controller: ([\w-]+)\)/.exec(r.how)?.[1]), table).toEqual(["no-token", "wrong-service-account", "wrong-audience", "no-node", "expired", "not-authenticated"]);
  });
});
