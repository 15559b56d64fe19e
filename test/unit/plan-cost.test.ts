// A speaker's work per batch of heartbeats is proportional to what changed. Measured (npm run bench -- scale and a
// --cpu-prof of the view under 200 simulated nodes): the membership sweep looked at every node on every beat
// (O(nodes) per beat, 70% of the speaker's time), and every batch re-planned every VIP. Now the sweep runs when live
// time may have crossed someone's threshold, and an empty plan is kept while nothing it reads has changed.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { subjects } from "../../src/events/subjects.js";
import type { NodeHeartbeatRecorded } from "../../src/events/types.js";
import { applyHeartbeatBatch, LiveMembership, type HeartbeatEntry } from "../../src/projections/batch.js";
import { healthScore } from "../../src/projections/members/lifeguard.js";
import { emptyMembership, statusAfterSilence, widenedByMs, type NodeStatus } from "../../src/projections/membership.js";
import { planClaims, type PlannedClaim } from "../../src/projections/ownershipPlan.js";
import { DEFAULT_MEMBERSHIP_SETTINGS as SETTINGS } from "../../src/projections/settings.js";
import { labConfig, SimCluster } from "../support/simCluster.js";

type Beat = { node: string; gapMs: number };

/**
 * The reference: every node's status recomputed from its silence on every message, as the reducer did before, with
 * Lifeguard's widening by how late the log stamped the node's last beat (its reported health is 0 here).
 */
function naiveStatuses(beats: readonly Beat[]): Record<string, NodeStatus>[] {
  const nodes = new Map<string, { last: number; lastTime: number; widenMs: number; status: NodeStatus }>();
  const out: Record<string, NodeStatus>[] = [];
  let live = 0;
  // Stream time as the reducer sees it (an absolute timestamp), so both round a tiny gap away alike.
  let time = 1_700_000_000_000;
  let grace = 0;
  beats.forEach((b, i) => {
    if (i > 0) {
      const gapMs = time + b.gapMs - time;
      time += b.gapMs;
      live += Math.min(gapMs, SETTINGS.maxStepMs);
      if (gapMs >= SETTINGS.stallGapMs) grace = live + SETTINGS.stallGraceMs;
    }
    for (const r of nodes.values()) {
      if (r.status === "dead") continue;
      const silence = statusAfterSilence(live - r.last, SETTINGS, r.widenMs);
      r.status = live < grace && silence === "dead" ? "suspect" : silence;
    }
    const before = nodes.get(b.node);
    const lateMs = before && before.status !== "dead" ? Math.max(0, time - before.lastTime - SETTINGS.heartbeatIntervalMs) : 0;
    nodes.set(b.node, { last: live, lastTime: time, widenMs: widenedByMs(healthScore(lateMs), SETTINGS), status: "alive" });
    out.push(Object.fromEntries([...nodes].map(([n, r]) => [n, r.status])));
  });
  return out;
}

function reducerStatuses(beats: readonly Beat[]): Record<string, NodeStatus>[] {
  let state = emptyMembership();
  let time = 1_700_000_000_000;
  const counts = new Map<string, number>();
  return beats.map((b, i) => {
    time += i === 0 ? 0 : b.gapMs;
    const beat = (counts.get(b.node) ?? 0) + 1;
    counts.set(b.node, beat);
    const event: NodeHeartbeatRecorded = { type: "NodeHeartbeatRecorded", data: { node: b.node, incarnation: 1, beat, ready: true, version: "t", health: 0 } };
    state = applyHeartbeatBatch(state, [{ meta: { stream: "HEARTBEATS", seq: i + 1, time, subject: subjects.heartbeat(b.node) }, event }], SETTINGS);
    return Object.fromEntries(Object.values(state.nodes).map((r) => [r.node, r.status]));
  });
}

const beats = fc.array(
  fc.record({
    node: fc.constantFrom("a", "b", "c", "d"),
    gapMs: fc.oneof(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 100, max: 400 }), fc.integer({ min: 900, max: 2_500 }), fc.double({ min: 0, max: 200, noNaN: true })),
  }),
  { minLength: 1, maxLength: 120 },
);

describe("the membership sweep runs only when a status can change", () => {
  it("agrees with recomputing every node on every message (gaps, stalls, outage grace, deaths)", () => {
    fc.assert(fc.property(beats, (bs) => {
      expect(reducerStatuses(bs)).toEqual(naiveStatuses(bs));
    }), { numRuns: 300 });
  });
});

function beatEntries(bs: readonly Beat[]): HeartbeatEntry[] {
  let time = 1_700_000_000_000;
  const counts = new Map<string, number>();
  return bs.map((b, i) => {
    time += i === 0 ? 0 : b.gapMs;
    const beat = (counts.get(b.node) ?? 0) + 1;
    counts.set(b.node, beat);
    return { meta: { stream: "HEARTBEATS", seq: i + 1, time, subject: subjects.heartbeat(b.node) }, event: { type: "NodeHeartbeatRecorded", data: { node: b.node, incarnation: 1, beat, ready: true, version: "t", health: 0 } } };
  });
}

describe("the live membership (applied in place, O(beats) a batch) and the copy-on-write batches agree", () => {
  it("state after state, the earlier states untouched, unchanged records kept by reference", () => {
    fc.assert(fc.property(beats, fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 40 }), (bs, sizes) => {
      const entries = beatEntries(bs);
      const live = new LiveMembership(emptyMembership());
      let state = emptyMembership();
      const earlier: { state: typeof state; json: string }[] = [];
      for (let at = 0, k = 0; at < entries.length; k++) {
        const batch = entries.slice(at, at + (sizes[k % sizes.length] ?? 1));
        at += batch.length;
        const records = { ...live.state.nodes };
        live.apply(batch, SETTINGS);
        state = applyHeartbeatBatch(state, batch, SETTINGS);
        earlier.push({ state, json: JSON.stringify(state) });
        expect(JSON.parse(JSON.stringify(live.state))).toEqual(JSON.parse(JSON.stringify(state)));
        for (const [node, r] of Object.entries(live.state.nodes)) if (JSON.stringify(r) === JSON.stringify(records[node])) expect(r).toBe(records[node]);
      }
      for (const e of earlier) expect(JSON.stringify(e.state)).toBe(e.json);
      expect(Object.isFrozen(state) && Object.isFrozen(state.nodes)).toBe(true);
    }), { numRuns: 200 });
  });
});

describe("a speaker plans again only when something a plan reads has changed", () => {
  const warmCluster = (): SimCluster => {
    const sim = new SimCluster();
    sim.applyConfig(labConfig(10));
    for (let i = 1; i <= 20; i++) sim.addNode(`node${i}`);
    sim.run(2_000);
    return sim;
  };

  it("heartbeat batches that change no node's status cost no plan", () => {
    const sim = warmCluster();
    expect(Object.values(sim.owners()).every((o) => o !== null)).toBe(true);
    sim.view.claimsFor("node1");
    const before = sim.view.plansComputed;
    for (let round = 0; round < 50; round++) {
      sim.beatWithoutClaiming();
      expect(sim.view.claimsFor("node1")).toEqual([]);
    }
    expect(sim.view.plansComputed).toBe(before);
  });

  it("a node that dies, a configuration change and a new node each make a new plan", () => {
    const sim = warmCluster();
    sim.view.claimsFor("node1");
    const owner = sim.owners()["198.18.8.1"] ?? "";
    sim.kill(owner);
    const planned = (): number => {
      const before = sim.view.plansComputed;
      sim.view.claimsFor("node1");
      return sim.view.plansComputed - before;
    };
    let replans = 0;
    for (let round = 0; round < 10; round++) {
      sim.beatWithoutClaiming();
      replans += planned();
    }
    expect(replans).toBeGreaterThan(0); // the owner went suspect, then dead: the plan now has claims for its VIPs
    sim.run(500);
    expect(sim.owners()["198.18.8.1"]).not.toBe(owner);
    planned();
    expect(planned()).toBe(0);
    sim.applyConfig(labConfig(11));
    expect(planned()).toBe(1);
    sim.addNode("node21");
    sim.beatWithoutClaiming();
    expect(planned()).toBe(1);
  });

  it("while its claims wait for the log, heartbeat batches make no new plan; the claims carry a new plan's evidence", () => {
    const sim = warmCluster();
    sim.kill(sim.owners()["198.18.8.1"] ?? "");
    let taker = "";
    for (let round = 0; round < 20 && taker === ""; round++) {
      sim.beatWithoutClaiming();
      taker = planClaims(sim.view.log, sim.view.members, SETTINGS)[0]?.node ?? "";
    }
    expect(sim.view.claimsFor(taker).length).toBeGreaterThan(0); // the owner is dead: `taker` is to take its VIP
    const before = sim.view.plansComputed;
    let epochs = 0; // the dead owner's silence passing the bound (overdue) is a change a plan reads
    for (let round = 0; round < 10; round++) {
      const epoch = sim.view.members.epoch;
      sim.beatWithoutClaiming();
      if (sim.view.members.epoch !== epoch) epochs++;
      const fresh = planClaims(sim.view.log, sim.view.members, SETTINGS).filter((c) => c.node === taker);
      const kept = sim.view.claimsFor(taker);
      expect(kept).toEqual(fresh);
      expect(kept[0]?.evidence.heartbeatSeq).toBe(sim.view.members.seq);
    }
    expect(epochs).toBeLessThan(3);
    expect(sim.view.plansComputed - before).toBe(epochs); // before: one plan of every VIP per batch (10)
  });

  it("claims landing within 200 ms of a plan keep its other claims without a new plan; after that, a new plan", () => {
    const sim = new SimCluster();
    sim.applyConfig(labConfig(40));
    for (let i = 1; i <= 4; i++) sim.addNode(`node${i}`);
    sim.run(2_000);
    const victim = sim.owners()["198.18.8.1"] ?? "";
    sim.kill(victim);
    let plan: PlannedClaim[] = [];
    for (let round = 0; round < 20 && plan.length === 0; round++) {
      sim.beatWithoutClaiming();
      plan = planClaims(sim.view.log, sim.view.members, SETTINGS);
    }
    const taker = plan[0]?.node ?? "";
    const mine = sim.view.claimsFor(taker, 1_000);
    expect(mine.length).toBeGreaterThan(1);
    const plans = sim.view.plansComputed;
    const [landed, ...rest] = mine;
    if (!landed) throw new Error("no claim");
    const incarnation = sim.view.members.nodes[taker]?.incarnation ?? 0;
    sim.append("EVENTS", subjects.vipClaim(landed.vip, taker), { type: "VipClaimed", data: { vip: landed.vip, node: taker, incarnation, term: landed.term, reason: landed.reason, evidence: landed.evidence } }, landed.expectedSubjectSeq);
    expect(sim.view.claimsFor(taker, 1_100).map((c) => c.vip)).toEqual(rest.map((c) => c.vip));
    expect(sim.view.plansComputed).toBe(plans); // before: a plan of every VIP for each batch of claims that landed
    expect(sim.view.claimsFor(taker, 1_300).map((c) => c.vip)).toEqual(planClaims(sim.view.log, sim.view.members, SETTINGS).filter((c) => c.node === taker).map((c) => c.vip));
    expect(sim.view.plansComputed).toBe(plans + 1);
  });

  it("the same claims as planning every time (what the cache keeps is what a new plan would say)", () => {
    const sim = warmCluster();
    for (let round = 0; round < 30; round++) {
      if (round === 10) sim.kill("node3");
      if (round === 20) sim.restart("node3");
      sim.beatWithoutClaiming();
      const fresh = planClaims(sim.view.log, sim.view.members, SETTINGS).filter((c) => c.node === "node1");
      expect(sim.view.claimsFor("node1")).toEqual(fresh);
    }
  });
});
