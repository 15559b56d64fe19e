import { describe, expect, it } from "vitest";
import { subjects } from "../../src/events/subjects.js";
import { LiveMembership, type HeartbeatEntry } from "../../src/projections/batch.js";
import { MembershipEvidence } from "../../src/projections/audit/membershipEvidence.js";
import { emptyMembership } from "../../src/projections/membership.js";
import { DEFAULT_MEMBERSHIP_SETTINGS as SETTINGS } from "../../src/projections/settings.js";

// HEARTBEATS started over (made again by `log init`, or a replicated in-memory stream after every NATS server
// restarted): sequences begin again at 1. The view takes the new beats from there, and live time does not jump over
// the outage, so a node gets its whole dead timeout to be heard on the new stream.

const T0 = 1_700_000_000_000;
const beatCount = new Map<string, number>();

function beat(node: string, seq: number, time: number): HeartbeatEntry {
  const n = (beatCount.get(node) ?? 0) + 1;
  beatCount.set(node, n);
  return { meta: { stream: "HEARTBEATS", seq, time, subject: subjects.heartbeat(node) }, event: { type: "NodeHeartbeatRecorded", data: { node, incarnation: 1, beat: n, ready: true, version: "t", health: 0 } } };
}

/** Nodes a and b beating every 50 ms for 2 s: sequences 1..80. */
function before(): LiveMembership {
  beatCount.clear();
  const live = new LiveMembership(emptyMembership());
  const entries: HeartbeatEntry[] = [];
  for (let i = 0; i < 40; i++) entries.push(beat("a", 2 * i + 1, T0 + 50 * i), beat("b", 2 * i + 2, T0 + 50 * i + 1));
  live.apply(entries, SETTINGS);
  return live;
}

const AFTER = T0 + 2_000 + 5_000; // the stream is back 5 s after the last beat

describe("HEARTBEATS starting over", () => {
  it("without starting over, the new stream's beats read as replays: nobody is heard again", () => {
    const live = before();
    live.apply([beat("a", 1, AFTER), beat("b", 2, AFTER + 1)], SETTINGS);
    expect(live.state.nodes.a?.lastHeardAt).toBe(T0 + 50 * 39);
    expect(live.state.seq).toBe(80);
  });

  it("after restartSequence the new beats are taken, and live time does not jump over the outage", () => {
    const live = before();
    const liveBefore = live.state.live;
    live.restartSequence();
    live.apply([beat("a", 1, AFTER)], SETTINGS);
    expect(live.state.seq).toBe(1);
    expect(live.state.nodes.a).toMatchObject({ lastHeardAt: AFTER, status: "alive" });
    expect(live.state.live).toBe(liveBefore);
    // b is heard 200 ms into the new stream: still alive, never suspected for the 5 s the log was away.
    live.apply([beat("a", 2, AFTER + 50), beat("a", 3, AFTER + 100), beat("a", 4, AFTER + 150), beat("b", 5, AFTER + 200)], SETTINGS);
    expect(live.state.nodes.b).toMatchObject({ lastHeardAt: AFTER + 200, status: "alive" });
    expect(live.state.ignoredBeats).toBe(0);
  });

  it("a node that stays silent on the new stream is dead after its timeout, counted from the restart", () => {
    const live = before();
    live.restartSequence();
    const entries: HeartbeatEntry[] = [];
    for (let i = 0; i * 50 <= SETTINGS.deadAfterMs + 100; i++) entries.push(beat("a", i + 1, AFTER + 50 * i));
    live.apply(entries.slice(0, 2), SETTINGS);
    expect(live.state.nodes.b?.status).toBe("alive");
    live.apply(entries.slice(2), SETTINGS);
    expect(live.state.nodes.b?.status).toBe("dead");
    expect(live.state.nodes.a?.status).toBe("alive");
  });
});

describe("the audit across a HEARTBEATS that started over", () => {
  it("a death claim made before the first retained beat cannot be checked (a note), not judged against the new stream's beats", () => {
    const claimTime = T0 + 1_000;
    const claim = { stream: "EVENTS" as const, seq: 7, subject: "vipmesh.ev.vip.198.18.0.200.b" };
    // b claimed a's VIP at position #500 of the old stream; the new stream's #1.. all come later, a alive in them.
    const evidence = new MembershipEvidence([{ claim, vip: "198.18.0.200", claimant: "b", owner: "a", ownerIncarnation: 1, position: 500, claimTime, ownerClaim: null }], SETTINGS, 1_000);
    beatCount.clear();
    const beats = Array.from({ length: 600 }, (_, i) => beat(i % 2 === 0 ? "a" : "b", i + 1, AFTER + 25 * i));
    evidence.apply(beats);
    const findings = evidence.finish([]);
    expect(findings.map((f) => f.level)).toEqual(["note"]);
    expect(findings[0]?.message).toContain("cannot be checked");
  });
});
