import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeHeartbeatEntries, decodeLogEntries, type RawEntry } from "../../src/events/entries.js";
import { applyHeartbeatBatch, applyLogBatch, LogReplayer, unfrozenImmer } from "../../src/projections/batch.js";
import { emptyLogState, type LogState } from "../../src/projections/logState.js";
import { emptyMembership, type MembershipState } from "../../src/projections/membership.js";
import { decodeSnapshot, encodeSnapshot } from "../../src/projections/snapshot.js";
import { DEFAULT_MEMBERSHIP_SETTINGS } from "../../src/projections/settings.js";
import { encodeEvent } from "../../src/events/codec.js";
import { labConfig, SimCluster } from "../support/simCluster.js";

const ignore = (): void => undefined;

function eventfulHistory(): SimCluster {
  const sim = new SimCluster();
  for (let i = 1; i <= 4; i++) sim.addNode(`node${i}`);
  sim.applyConfig(labConfig(12));
  sim.run(800);
  sim.kill("node2");
  sim.run(800);
  sim.stall(5_000);
  sim.run(300);
  sim.restart("node2");
  sim.leave("node3");
  sim.run(800);
  return sim;
}

const history = eventfulHistory();

function replayLog(raw: RawEntry[], cuts: number[], start: LogState = emptyLogState()): LogState {
  let state = start;
  let from = 0;
  for (const cut of [...cuts, raw.length]) {
    state = applyLogBatch(state, decodeLogEntries(raw.slice(from, cut), ignore));
    from = cut;
  }
  return state;
}

function replayBeats(raw: RawEntry[], cuts: number[]): MembershipState {
  let state = emptyMembership();
  let from = 0;
  for (const cut of [...cuts, raw.length]) {
    state = applyHeartbeatBatch(state, decodeHeartbeatEntries(raw.slice(from, cut), ignore), DEFAULT_MEMBERSHIP_SETTINGS);
    from = cut;
  }
  return state;
}

const cutsOf = (length: number) => fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, length - 1) })).map((c) => c.sort((a, b) => a - b));

describe("replay is deterministic", () => {
  it("the history under test moved VIPs for every kind of reason", () => {
    const claims = history.events.map((e) => JSON.parse(new TextDecoder().decode(e.data))).filter((e) => e.type === "VipClaimed");
    const reasons = new Set(claims.map((e) => e.data.reason));
    expect(reasons).toEqual(new Set(["unowned", "owner-dead", "owner-left"]));
  });

  it("gives byte-identical log state however the log is batched", () => {
    const whole = JSON.stringify(replayLog(history.events, []));
    fc.assert(fc.property(cutsOf(history.events.length), (cuts) => JSON.stringify(replayLog(history.events, cuts)) === whole));
  });

  it("gives byte-identical membership however heartbeats are batched", () => {
    const whole = JSON.stringify(replayBeats(history.heartbeats, []));
    fc.assert(fc.property(cutsOf(history.heartbeats.length), (cuts) => JSON.stringify(replayBeats(history.heartbeats, cuts)) === whole), { numRuns: 30 });
  });

  it("per-event and batched replay agree, frozen or not", () => {
    let perEvent = emptyLogState();
    for (const e of decodeLogEntries(history.events, ignore)) perEvent = applyLogBatch(perEvent, [e]);
    const unfrozen = applyLogBatch(emptyLogState(), decodeLogEntries(history.events, ignore), unfrozenImmer);
    expect(JSON.stringify(perEvent)).toBe(JSON.stringify(unfrozen));
  });

  it("the mutable bulk replayer agrees with immer however it is batched, and never touches its start state", () => {
    const whole = JSON.stringify(replayLog(history.events, []));
    fc.assert(
      fc.property(cutsOf(history.events.length), (cuts) => {
        const start = emptyLogState();
        const before = JSON.stringify(start);
        const replayer = new LogReplayer(start);
        let from = 0;
        for (const cut of [...cuts, history.events.length]) {
          replayer.apply(decodeLogEntries(history.events.slice(from, cut), ignore));
          from = cut;
        }
        return JSON.stringify(replayer.result()) === whole && JSON.stringify(start) === before;
      }),
    );
  });

  it("snapshot plus tail equals full replay", () => {
    const whole = JSON.stringify(replayLog(history.events, []));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: history.events.length }), (at) => {
        const head = replayLog(history.events.slice(0, at), []);
        const restored = decodeSnapshot(encodeSnapshot(head)).state;
        return JSON.stringify(replayLog(history.events.slice(at), [], restored)) === whole;
      }),
    );
  });

  it("a message delivered twice changes nothing", () => {
    const whole = JSON.stringify(replayLog(history.events, []));
    const doubled = history.events.flatMap((e) => [e, e]);
    expect(JSON.stringify(replayLog(doubled, []))).toBe(whole);
    const beats = JSON.stringify(replayBeats(history.heartbeats, []));
    expect(JSON.stringify(replayBeats(history.heartbeats.flatMap((e) => [e, e]), []))).toBe(beats);
  });

  it("a claim stored twice under a new sequence is a stale claim, not a second owner change", () => {
    const claim = history.events.find((e) => e.meta.subject.includes(".vip."));
    if (!claim) throw new Error("history has no claim");
    const last = history.events[history.events.length - 1];
    const copy = { meta: { ...claim.meta, seq: (last?.meta.seq ?? 0) + 1 }, data: claim.data };
    const before = replayLog(history.events, []);
    const after = replayLog([...history.events, copy], []);
    expect(after.staleClaims).toBe(before.staleClaims + 1);
    expect(Object.fromEntries(Object.entries(after.vips).map(([v, r]) => [v, [r.owner, r.term]]))).toEqual(
      Object.fromEntries(Object.entries(before.vips).map(([v, r]) => [v, [r.owner, r.term]])),
    );
  });

  it("counts malformed messages and still tracks the VIP subject's sequence", () => {
    const last = history.events[history.events.length - 1];
    const bad = { meta: { stream: "EVENTS" as const, seq: (last?.meta.seq ?? 0) + 1, time: last?.meta.time ?? 0, subject: "vipmesh.ev.vip.198_18_8_1.node1" }, data: new TextEncoder().encode("{not json") };
    const state = replayLog([...history.events, bad], []);
    expect(state.invalidEvents).toBe(1);
    expect(state.vips["198.18.8.1"]?.subjectSeq).toBe(bad.meta.seq);
  });

  it("log time never goes backwards", () => {
    const first = history.events[0];
    if (!first) throw new Error("empty history");
    const early = { meta: { ...first.meta, seq: 10_000, time: 0 }, data: encodeEvent({ type: "NodeLeft", data: { node: "x", incarnation: 1, reason: "drain" } }) };
    const state = replayLog([...history.events, early], []);
    expect(state.time).toBe(replayLog(history.events, []).time);
  });
});
