// Lifeguard in the log-based membership: a node that says it runs late (or whose beats the log stamps late) is
// given a wider dead timeout, never wider than maxDeadAfterMs; a starved node takes no VIP from a dead owner until
// that owner is silent past the same bound. All of it a pure function of the log, so the audit reaches the same view.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { subjects } from "../../src/events/subjects.js";
import type { NodeHeartbeatRecorded } from "../../src/events/types.js";
import { applyHeartbeatBatch } from "../../src/projections/batch.js";
import { emptyHealthMeter, MAX_HEALTH_SCORE, meterScore, recordLateness, STARVED_SCORE } from "../../src/projections/members/lifeguard.js";
import { emptyMembership, memberScore, type MembershipState } from "../../src/projections/membership.js";
import { DEFAULT_MEMBERSHIP_SETTINGS as SETTINGS } from "../../src/projections/settings.js";
import { AuditLog, ofCheck, violations } from "../support/auditLog.js";
import { clusterConfig, pool, service } from "../support/ipamFixtures.js";
import { labConfig, SimCluster } from "../support/simCluster.js";

const T0 = 1_700_000_000_000;

describe("the health meter a speaker keeps", () => {
  it("reports the worst lateness of the last windowBeats intervals, one point per 25 ms", () => {
    let meter = emptyHealthMeter();
    meter = recordLateness(meter, 110);
    expect(meterScore(meter)).toBe(4);
    for (let i = 0; i < 19; i++) meter = recordLateness(meter, 3);
    expect(meterScore(meter)).toBe(4);
    meter = recordLateness(meter, 3);
    expect(meterScore(meter)).toBe(0);
  });

  it("never holds more than the window, and scores within 0..MAX_HEALTH_SCORE whatever it is fed", () => {
    fc.assert(fc.property(fc.array(fc.oneof(fc.double({ min: -1e6, max: 1e6 }), fc.constant(Number.NaN), fc.constant(Infinity)), { maxLength: 60 }), (lates) => {
      const meter = lates.reduce((m, late) => recordLateness(m, late), emptyHealthMeter());
      const score = meterScore(meter);
      return meter.samples.length <= 20 && Number.isInteger(score) && score >= 0 && score <= MAX_HEALTH_SCORE;
    }));
  });
});

/** Beats of `node` every 50 ms over [from, to) reporting `health`, then silence until `until`, fed to the reducer. */
function silentAfter(health: number, to: number, until: number, lateEvery = 50): MembershipState {
  let state = emptyMembership();
  let seq = 0;
  const beat = (node: string, at: number, n: number): void => {
    const event: NodeHeartbeatRecorded = { type: "NodeHeartbeatRecorded", data: { node, incarnation: 1, beat: n, ready: true, version: "t", health: node === "owner" ? health : 0 } };
    state = applyHeartbeatBatch(state, [{ meta: { stream: "HEARTBEATS", seq: ++seq, time: T0 + at, subject: subjects.heartbeat(node) }, event }], SETTINGS);
  };
  let n = 0;
  for (let at = 0; at < until; at += 10) {
    if (at < to && at % lateEvery === 0) beat("owner", at, ++n);
    if (at % 50 === 0) beat("other", at + 1, at + 1);
  }
  return state;
}

describe("membership widens the dead timeout by the node's reported score, up to maxDeadAfterMs", () => {
  it("a silent owner is dead after 300 ms at score 0, after 500 ms at score 4, and at most after 700 ms", () => {
    const statusAfter = (health: number, silentMs: number): string | undefined => silentAfter(health, 1_000, 1_000 - 50 + silentMs + 10).nodes["owner"]?.status;
    expect([statusAfter(0, 290), statusAfter(0, 320)]).toEqual(["suspect", "dead"]);
    expect([statusAfter(4, 480), statusAfter(4, 520)]).toEqual(["suspect", "dead"]);
    expect([statusAfter(8, 680), statusAfter(8, 720)]).toEqual(["suspect", "dead"]);
  });

  it("for any score and silence: dead exactly when the silence passes the widened timeout, which never exceeds the bound", () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: MAX_HEALTH_SCORE }), fc.integer({ min: 0, max: 1_500 }), (health, silentMs) => {
      const state = silentAfter(health, 1_000, 960 + silentMs);
      const owner = state.nodes["owner"];
      const silence = state.live - (owner?.lastHeardLive ?? 0);
      const timeout = SETTINGS.deadAfterMs + ((SETTINGS.maxDeadAfterMs - SETTINGS.deadAfterMs) * health) / MAX_HEALTH_SCORE;
      expect(owner?.status === "dead").toBe(silence > timeout);
      if (silence > SETTINGS.maxDeadAfterMs) expect(owner?.status).toBe("dead");
      expect(owner?.overdue).toBe(silence > SETTINGS.maxDeadAfterMs);
    }), { numRuns: 200 });
  });

  it("beats the log stamps late count as lateness too (a node whose beats arrive 150 ms apart scores 4)", () => {
    const state = silentAfter(0, 1_000, 1_000, 150);
    expect(state.nodes["owner"]?.beatLateMs).toBe(100);
    expect(memberScore(state.nodes["owner"] ?? { health: 0, beatLateMs: 0 })).toBe(STARVED_SCORE);
  });
});

/** Three nodes, one VIP; returns the cluster once node `owner` holds it. */
function cluster(): { sim: SimCluster; owner: string; others: string[] } {
  const sim = new SimCluster();
  sim.applyConfig(labConfig(1));
  for (const n of ["node1", "node2", "node3"]) sim.addNode(n);
  sim.run(1_000);
  const owner = Object.values(sim.owners())[0];
  if (!owner) throw new Error("nobody took the VIP");
  return { sim, owner, others: ["node1", "node2", "node3"].filter((n) => n !== owner) };
}

/** Runs the cluster until `ms` of log time has passed (SimCluster.run advances time only for nodes that beat). */
function runFor(sim: SimCluster, ms: number): void {
  const until = sim.time + ms;
  while (sim.time < until) sim.run(sim.settings.heartbeatIntervalMs);
}

const node = (sim: SimCluster, name: string) => {
  const n = sim.nodes.get(name);
  if (!n) throw new Error(`no ${name}`);
  return n;
};

describe("a slow owner keeps its VIP; a dead slow owner still fails over", () => {
  it("an owner reporting itself starved and then stopped for 550 ms keeps its VIP (it would have lost it at score 0)", () => {
    for (const health of [0, MAX_HEALTH_SCORE]) {
      const { sim, owner } = cluster();
      node(sim, owner).health = health;
      runFor(sim, 200);
      sim.kill(owner); // SIGSTOP: the same process, silent
      runFor(sim, 550);
      sim.resume(owner); // SIGCONT
      runFor(sim, 300);
      expect(Object.values(sim.owners())[0] === owner).toBe(health === MAX_HEALTH_SCORE);
    }
  });

  it("an owner reporting itself starved and stopped beyond maxDeadAfterMs is failed over", () => {
    const { sim, owner } = cluster();
    node(sim, owner).health = MAX_HEALTH_SCORE;
    runFor(sim, 200);
    sim.kill(owner);
    runFor(sim, SETTINGS.maxDeadAfterMs + 100);
    const next = Object.values(sim.owners())[0];
    expect(next).not.toBe(owner);
    expect(next).not.toBeNull();
  });
});

describe("a starved node takes no VIP from a dead owner until the owner is overdue", () => {
  it("with a healthy node to take it, the starved one never does", () => {
    for (const starved of [0, 1]) {
      const { sim, owner, others } = cluster();
      const slow = others[starved] ?? "";
      node(sim, slow).health = STARVED_SCORE;
      runFor(sim, 200);
      sim.kill(owner);
      runFor(sim, 1_000);
      expect(Object.values(sim.owners())[0]).toBe(others[1 - starved]);
    }
  });

  it("when every candidate is starved, the VIP waits until the owner is silent past maxDeadAfterMs, then moves", () => {
    const { sim, owner, others } = cluster();
    for (const o of others) node(sim, o).health = STARVED_SCORE;
    runFor(sim, 200);
    sim.kill(owner);
    runFor(sim, SETTINGS.deadAfterMs + 150);
    expect(sim.view.members.nodes[owner]?.status).toBe("dead");
    expect(Object.values(sim.owners())[0]).toBe(owner);
    runFor(sim, SETTINGS.maxDeadAfterMs - SETTINGS.deadAfterMs);
    const next = Object.values(sim.owners())[0];
    expect(others).toContain(next);
    const claim = Object.values(sim.view.log.vips)[0];
    expect(claim?.reason).toBe("owner-dead");
  });
});

const VIP = "198.18.0.200";

function auditLog(): AuditLog {
  const log = new AuditLog();
  log.config(clusterConfig({ pools: [pool("p", ["198.18.0.0/24"])], services: [service("default/web")] }), 0);
  log.allocate(VIP, "default/web", 1);
  log.claim({ vip: VIP, node: "n1", term: 1, reason: "unowned", from: null, position: 0, at: 10 });
  return log;
}

describe("the audit judges claims with the same Lifeguard rules", () => {
  it("an owner-dead claim 400 ms after a starved owner's last beat is unjustified; 800 ms after is not", () => {
    for (const [claimAt, expected] of [[1_400, 1], [1_800, 0]] as const) {
      const log = auditLog();
      log.beats(["n1"], 0, 1_000, 50, 1, MAX_HEALTH_SCORE);
      log.beats(["n2"], 0, 1_000, 50, 1, 0);
      const position = log.beats(["n2"], 1_000, claimAt, 50, 1, 0);
      log.claim({ vip: VIP, node: "n2", term: 2, reason: "owner-dead", from: "n1", position, at: claimAt });
      const found = violations(log.audit());
      expect(found).toHaveLength(expected);
      if (expected) expect(found[0]?.message).toMatch(/says n1 was dead, but at heartbeat #\d+ the membership shows it alive/);
    }
  });

  it("a starved claimant taking a dead owner's VIP before the owner is overdue is unjustified, naming its score", () => {
    for (const [claimAt, expected] of [[1_400, 1], [1_800, 0]] as const) {
      const log = auditLog();
      log.beats(["n1"], 0, 1_000, 50, 1, 0);
      log.beats(["n2"], 0, 1_000, 50, 1, STARVED_SCORE);
      const position = log.beats(["n2"], 1_000, claimAt, 50, 1, STARVED_SCORE);
      log.claim({ vip: VIP, node: "n2", term: 2, reason: "owner-dead", from: "n1", position, at: claimAt });
      const found = ofCheck(log.audit(), "claim-unjustified");
      expect(found).toHaveLength(expected);
      if (expected) expect(found[0]?.message).toMatch(/while n2 was starved \(health score 4 at heartbeat #\d+\) and n1 had been silent only \d+ ms, under the 700 ms/);
    }
  });

  it("a log of old speakers (beats before v4) is judged as they judged it: no widening", () => {
    const log = auditLog();
    log.beats(["n1"], 0, 1_000);
    const position = log.beats(["n2"], 0, 1_400);
    log.claim({ vip: VIP, node: "n2", term: 2, reason: "owner-dead", from: "n1", position, at: 1_400 });
    expect(violations(log.audit())).toEqual([]);
  });

  it("the claims a simulated cluster makes under Lifeguard (starved owners, starved claimants, stops) all audit clean", () => {
    fc.assert(fc.property(fc.array(fc.record({ who: fc.integer({ min: 0, max: 2 }), health: fc.integer({ min: 0, max: MAX_HEALTH_SCORE }), stopMs: fc.integer({ min: 0, max: 1_200 }) }), { minLength: 1, maxLength: 4 }), (steps) => {
      const sim = new SimCluster();
      sim.applyConfig(labConfig(2));
      const names = ["node1", "node2", "node3"];
      for (const n of names) sim.addNode(n);
      sim.run(1_000);
      for (const s of steps) {
        const name = names[s.who] ?? "node1";
        node(sim, name).health = s.health;
        sim.run(200);
        sim.kill(name);
        sim.run(s.stopMs);
        sim.resume(name);
        sim.run(500);
      }
      const log = new AuditLog();
      (log as unknown as { events: unknown[] }).events.push(...sim.events);
      (log as unknown as { heartbeats: unknown[] }).heartbeats.push(...sim.heartbeats);
      const report = log.audit();
      expect(ofCheck(report, "claim-unjustified").filter((f) => f.level === "violation")).toEqual([]);
    }), { numRuns: 40 });
  });
});
