import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { labConfig, SimCluster } from "../support/simCluster.js";
import { DEFAULT_MEMBERSHIP_SETTINGS } from "../../src/projections/settings.js";

function cluster(nodes: number, vips: number): SimCluster {
  const sim = new SimCluster();
  for (let i = 1; i <= nodes; i++) sim.addNode(`node${i}`);
  sim.applyConfig(labConfig(vips));
  return sim;
}

describe("ownership by claims", () => {
  it("gives every VIP exactly one owner once the view is warm", () => {
    const sim = cluster(3, 9);
    sim.run(1_000);
    const owners = sim.owners();
    expect(Object.keys(owners)).toHaveLength(9);
    expect(Object.values(owners).every((o) => o !== null)).toBe(true);
  });

  it("moves a dead owner's VIPs only, with reason owner-dead and evidence of its silence", () => {
    const sim = cluster(3, 9);
    sim.run(1_000);
    const before = sim.owners();
    const victim = before["198.18.8.1"] ?? "";
    sim.kill(victim);
    sim.run(1_000);
    const after = sim.owners();
    for (const [vip, owner] of Object.entries(before)) {
      if (owner === victim) expect(after[vip]).not.toBe(victim);
      else expect(after[vip]).toBe(owner);
    }
    const record = sim.view.log.vips["198.18.8.1"];
    expect(record?.reason).toBe("owner-dead");
  });

  it("a returning node does not take its VIPs back", () => {
    const sim = cluster(3, 6);
    sim.run(1_000);
    const victim = sim.owners()["198.18.8.1"] ?? "";
    sim.kill(victim);
    sim.run(1_000);
    const moved = sim.owners();
    sim.restart(victim);
    sim.run(2_000);
    expect(sim.owners()).toEqual(moved);
    expect(Object.values(sim.owners())).not.toContain(victim);
  });

  it("a leaving node's VIPs move at once with reason owner-left", () => {
    const sim = cluster(3, 6);
    sim.run(1_000);
    const victim = sim.owners()["198.18.8.1"] ?? "";
    sim.leave(victim);
    sim.claimAll();
    expect(sim.owners()["198.18.8.1"]).not.toBe(victim);
    expect(sim.view.log.vips["198.18.8.1"]?.reason).toBe("owner-left");
  });

  it("a log stall declares nobody dead and moves nothing", () => {
    const sim = cluster(3, 6);
    sim.run(1_000);
    const before = sim.owners();
    const claims = sim.events.length;
    sim.stall(10_000);
    sim.run(1_000);
    expect(sim.owners()).toEqual(before);
    expect(sim.events.length).toBe(claims);
    expect(Object.values(sim.view.members.nodes).map((m) => m.status)).toEqual(["alive", "alive", "alive"]);
  });

  it("needs joinBeats heartbeats before a new node may own anything", () => {
    const sim = cluster(1, 1);
    sim.run(1_000);
    sim.addNode("late");
    sim.kill("node1");
    sim.run(sim.settings.heartbeatIntervalMs * (sim.settings.joinBeats - 1));
    expect(sim.view.members.nodes["late"]?.streak).toBeLessThan(sim.settings.joinBeats);
    expect(sim.owners()["198.18.8.1"]).toBe("node1");
  });

  describe.each([3, 10, 100])("balance with %i nodes", (nodes) => {
    it("spreads VIPs evenly, and spreads a lost node's VIPs evenly over the rest", () => {
      fc.assert(
        fc.property(fc.integer({ min: nodes, max: nodes * 4 }), fc.integer({ min: 1, max: nodes }), (vips, victimIndex) => {
          const sim = cluster(nodes, vips);
          sim.run(600);
          const spread = (m: Map<string, number>, alive: number): number => {
            const counts = [...m.values()];
            while (counts.length < alive) counts.push(0);
            return Math.max(...counts) - Math.min(...counts);
          };
          expect(spread(sim.load(), nodes)).toBeLessThanOrEqual(1);
          sim.kill(`node${victimIndex}`);
          sim.run(600);
          expect(sim.load().has(`node${victimIndex}`)).toBe(false);
          expect(spread(sim.load(), nodes - 1)).toBeLessThanOrEqual(1);
        }),
        { numRuns: nodes === 100 ? 3 : 15 },
      );
    }, 60_000);
  });
});

describe("recovery from a log outage", () => {
  it("a node that reconnects later than the others after an outage is not declared dead", () => {
    const sim = cluster(3, 6);
    sim.run(1_000);
    const before = sim.owners();
    sim.stall(60_000);
    sim.kill("node3"); // reconnects 800 ms after the others
    sim.run(800);
    sim.resume("node3");
    sim.run(1_000);
    expect(sim.owners()).toEqual(before);
    expect(sim.view.members.nodes["node3"]?.status).toBe("alive");

    // Without the grace the same history kills node3: the grace is what saves it.
    const strict = new SimCluster({ ...DEFAULT_MEMBERSHIP_SETTINGS, stallGraceMs: 1 });
    for (let i = 1; i <= 3; i++) strict.addNode(`node${i}`);
    strict.applyConfig(labConfig(6));
    strict.run(1_000);
    strict.stall(60_000);
    strict.kill("node3");
    strict.run(800);
    expect(strict.view.members.nodes["node3"]?.status).toBe("dead");
  });

  it("a node that died during the outage is declared dead once the grace has passed", () => {
    const sim = cluster(3, 6);
    sim.run(1_000);
    const victim = sim.owners()["198.18.8.1"] ?? "";
    sim.stall(60_000);
    sim.kill(victim);
    sim.run(sim.settings.stallGraceMs + sim.settings.deadAfterMs + 500);
    expect(sim.view.members.nodes[victim]?.status).toBe("dead");
    expect(sim.owners()["198.18.8.1"]).not.toBe(victim);
  });
});

describe("restart in place", () => {
  it("keeps a restarting node's VIPs while it comes back within its grace, and announces them again", () => {
    const sim = cluster(3, 6);
    sim.run(1_000);
    const before = sim.owners();
    const victim = before["198.18.8.1"] ?? "";
    sim.restartInPlace(victim, 5_000);
    sim.run(1_500); // far past the dead timeout, inside the grace
    expect(sim.view.members.nodes[victim]?.status).toBe("dead");
    expect(sim.owners()).toEqual(before);
    sim.restart(victim);
    sim.run(1_000);
    expect(sim.owners()).toEqual(before);
    expect(sim.view.answersFor(victim).has("198.18.8.1")).toBe(true);
  });

  it("moves the VIPs as from a dead node once the grace runs out", () => {
    const sim = cluster(3, 6);
    sim.run(1_000);
    const victim = sim.owners()["198.18.8.1"] ?? "";
    sim.restartInPlace(victim, 1_000);
    sim.run(800);
    expect(sim.owners()["198.18.8.1"]).toBe(victim);
    sim.run(1_000);
    expect(sim.owners()["198.18.8.1"]).not.toBe(victim);
    expect(sim.view.log.vips["198.18.8.1"]?.reason).toBe("owner-dead");
  });
});

describe("advertisement selectors", () => {
  function preferring(node: string): SimCluster {
    const sim = new SimCluster();
    for (let i = 1; i <= 3; i++) sim.addNode(`node${i}`);
    const config = labConfig(6, ["node1", "node2", "node3"]);
    config.nodes = config.nodes.map((n) => ({ ...n, labels: n.name === node ? { role: "edge" } : {} }));
    config.l2Advertisements = config.l2Advertisements.map((ad) => ({
      ...ad,
      preferredNodeSelectors: [{ weight: 100, preference: { matchLabels: { role: "edge" }, matchExpressions: [] } }],
    }));
    sim.applyConfig(config);
    return sim;
  }

  it("preferredNodeSelectors: a preferred node takes new VIPs; without it they spread; back, it takes nothing back", () => {
    const sim = preferring("node3");
    sim.run(1_000);
    expect(new Set(Object.values(sim.owners()))).toEqual(new Set(["node3"]));
    sim.kill("node3");
    sim.run(1_000);
    expect(sim.load().get("node1")).toBe(3);
    expect(sim.load().get("node2")).toBe(3);
    const spread = sim.owners();
    sim.restart("node3");
    sim.run(1_000);
    expect(sim.owners()).toEqual(spread);
  });

  it("serviceSelectors: only Services the advertisement selects are announced", () => {
    const sim = new SimCluster();
    for (let i = 1; i <= 3; i++) sim.addNode(`node${i}`);
    const config = labConfig(4);
    config.services = config.services.map((s, i) => ({ ...s, labels: i % 2 === 0 ? { app: "web" } : {} }));
    config.l2Advertisements = config.l2Advertisements.map((ad) => ({ ...ad, serviceSelectors: [{ matchLabels: { app: "web" }, matchExpressions: [] }] }));
    sim.applyConfig(config);
    sim.run(1_000);
    const owned = Object.entries(sim.owners()).filter(([, o]) => o !== null).map(([vip]) => vip).sort();
    expect(owned).toEqual(["198.18.8.1", "198.18.8.3"]);
  });
});

describe("interfaces that route to a VIP", () => {
  it("a VIP outside every subnet is answered on the interface with the most specific route to it", async () => {
    const { qualify } = await import("../../src/projections/eligibility.js");
    const entry = { vip: "198.18.5.10", ip: { family: 4 as const, value: (198n << 24n) | (18n << 16n) | (5n << 8n) | 10n }, pool: labConfig(1).pools[0] ?? null, advertisements: labConfig(1).l2Advertisements, services: [] };
    const iface = (name: string, routes: string[]) => ({ name, mac: "02:00:00:00:00:01", up: true, answerable: true, addresses: ["198.18.0.11/24"], routes });
    const member = (interfaces: ReturnType<typeof iface>[]) => ({ node: "n", incarnation: 1, beat: 1, status: "alive" as const, ready: true, version: "t", interfaces, lastHeardAt: 0, lastHeardLive: 0, streak: 3, health: 0, beatLateMs: 0, overdue: false });
    const config = labConfig(1);
    const check = (interfaces: ReturnType<typeof iface>[]) => qualify(entry, member(interfaces), interfaces, config);
    expect(check([iface("eth0", [])]).ok).toBe(false);
    expect(check([iface("eth0", ["0.0.0.0/0"]), iface("eth1", ["198.18.5.0/24"])])).toEqual({ ok: true, interface: "eth1" });
  });

  it("a v1 heartbeat (no routes) still decodes, with no routes", async () => {
    const { decodeEvent } = await import("../../src/events/codec.js");
    const v1 = { type: "NodeHeartbeatRecorded", v: 1, data: { node: "n", incarnation: 1, beat: 1, ready: true, version: "0.1.0", interfaces: [{ name: "eth0", mac: "02:00:00:00:00:01", up: true, addresses: ["198.18.0.11/24"], answerable: true }] } };
    const result = decodeEvent(new TextEncoder().encode(JSON.stringify(v1)), { stream: "HEARTBEATS", seq: 1, time: 0, subject: "vipmesh.hb.n" });
    expect(result.ok && result.event.type === "NodeHeartbeatRecorded" && result.event.data.interfaces?.[0]?.routes).toEqual([]);
  });
});
