import { describe, expect, it } from "vitest";
import { membersByStatus, ownerChanges, vipsWithoutLiveOwner } from "../../src/projections/clusterHealth.js";
import { lagBehind } from "../../src/agents/health/logLag.js";
import { LogChanges } from "../../src/agents/health/logChanges.js";
import { labConfig, nodeInterfaces, SimCluster } from "../support/simCluster.js";
import { subjects } from "../../src/events/subjects.js";

function cluster(nodes: number, vips: number): SimCluster {
  const sim = new SimCluster();
  for (let i = 1; i <= nodes; i++) sim.addNode(`node${i}`);
  sim.applyConfig(labConfig(vips));
  return sim;
}

describe("membership per status", () => {
  it("counts alive, dead and left nodes from the view", () => {
    const sim = cluster(4, 2);
    sim.run(1_000);
    expect(membersByStatus(sim.view.log, sim.view.members)).toEqual({ alive: 4, suspect: 0, dead: 0, left: 0 });
    sim.kill("node2");
    sim.leave("node3");
    sim.run(1_000);
    expect(membersByStatus(sim.view.log, sim.view.members)).toEqual({ alive: 2, suspect: 0, dead: 1, left: 1 });
  });
});

describe("VIPs without a live owner", () => {
  it("are a dead owner's VIPs from its death until a survivor claims them", () => {
    const sim = cluster(3, 6);
    sim.run(1_000);
    expect(vipsWithoutLiveOwner(sim.view.log, sim.view.members)).toEqual([]);
    const victim = sim.owners()["198.18.8.1"] ?? "";
    const victims = Object.entries(sim.owners()).filter(([, o]) => o === victim).map(([vip]) => vip).sort();
    sim.kill(victim);
    beatWithoutClaiming(sim, sim.settings.deadAfterMs * 2);
    expect(vipsWithoutLiveOwner(sim.view.log, sim.view.members).sort()).toEqual(victims);
    sim.run(1_000);
    expect(vipsWithoutLiveOwner(sim.view.log, sim.view.members)).toEqual([]);
  });

  it("name a VIP whose owner left and that nobody could take", () => {
    const sim = cluster(1, 2);
    sim.run(1_000);
    sim.leave("node1");
    expect(vipsWithoutLiveOwner(sim.view.log, sim.view.members).sort()).toEqual(["198.18.8.1", "198.18.8.2"]);
  });
});

/** Heartbeats of the nodes that are up, and no claims: the state right after a death, before anyone acts on it. */
function beatWithoutClaiming(sim: SimCluster, ms: number): void {
  const step = sim.settings.heartbeatIntervalMs;
  for (let t = 0; t < ms; t += step) {
    sim.time += step;
    for (const n of sim.nodes.values()) {
      if (!n.up) continue;
      n.beat++;
      sim.append("HEARTBEATS", subjects.heartbeat(n.name), {
        type: "NodeHeartbeatRecorded",
        data: { node: n.name, incarnation: n.incarnation, beat: n.beat, ready: true, version: "test", health: 0, interfaces: nodeInterfaces(n.index) },
      });
    }
  }
}

describe("ownership changes between two states of the log", () => {
  it("are the VIPs of a dead owner, with reason owner-dead; first claims are not failovers", () => {
    const sim = cluster(3, 6);
    const empty = sim.view.log;
    sim.run(1_000);
    const warm = sim.view.log;
    expect(ownerChanges(empty.vips, warm.vips)).toEqual([]);
    const victim = sim.owners()["198.18.8.1"] ?? "";
    const moved = Object.entries(sim.owners()).filter(([, o]) => o === victim).map(([vip]) => vip).sort();
    sim.kill(victim);
    sim.run(1_000);
    const changes = ownerChanges(warm.vips, sim.view.log.vips);
    expect(changes.map((c) => c.vip).sort()).toEqual(moved);
    expect(new Set(changes.map((c) => c.reason))).toEqual(new Set(["owner-dead"]));
  });

  it("are counted by LogChanges only once the view has caught up", () => {
    const sim = cluster(2, 4);
    sim.run(1_000);
    const warm = sim.view.log;
    sim.leave(sim.owners()["198.18.8.1"] ?? "");
    sim.run(1_000);
    const counted = new LogChanges();
    counted.observe(warm, sim.view.log, true);
    const ignored = new LogChanges();
    ignored.observe(warm, sim.view.log, false);
    expect(counted.failovers["owner-left"]).toBeGreaterThan(0);
    expect(ignored.failovers["owner-left"]).toBe(0);
  });
});

describe("log lag", () => {
  it("is the messages and the log time between the last applied message and the head", () => {
    expect(lagBehind({ seq: 10, time: 1_000 }, { seq: 15, time: 3_500 })).toEqual({ messages: 5, seconds: 2.5 });
  });
  it("is zero when caught up, however old the head is", () => {
    expect(lagBehind({ seq: 15, time: 1_000 }, { seq: 15, time: 1_000 })).toEqual({ messages: 0, seconds: 0 });
    expect(lagBehind({ seq: 16, time: 1_000 }, { seq: 15, time: 900 })).toEqual({ messages: 0, seconds: 0 });
  });
});
