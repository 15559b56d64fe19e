import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { decodeHeartbeatEntries, decodeLogEntries, type RawEntry } from "../../src/events/entries.js";
import { encodeEvent } from "../../src/events/codec.js";
import { identityProblem } from "../../src/events/identity.js";
import { chainOf, legacySubjects, parseSubject, subjects } from "../../src/events/subjects.js";
import type { ClaimEvidence, DomainEvent, LogEvent } from "../../src/events/types.js";
import { applyHeartbeatBatch, applyLogBatch } from "../../src/projections/batch.js";
import { emptyLogState, type LogState } from "../../src/projections/logState.js";
import { emptyMembership } from "../../src/projections/membership.js";
import { DEFAULT_MEMBERSHIP_SETTINGS } from "../../src/projections/settings.js";
import { buildTimeline } from "../../src/projections/timeline.js";
import { labConfig } from "../support/simCluster.js";

// Rule 1 of the subject layout: the publisher is in the subject, and an event whose payload names anyone else is
// refused by the projection (counted, shown by replay), while it still occupies its chain's sequence.

const ignore = (): void => undefined;
const evidence: ClaimEvidence = { previousOwner: null, previousOwnerStatus: null, previousOwnerLastHeardAt: null, silentForMs: null, observedAt: 0, heartbeatSeq: 0, eligibleNodes: 2 };
const claim = (vip: string, node: string, term: number): LogEvent => ({ type: "VipClaimed", data: { vip, node, incarnation: 1, term, reason: "unowned", evidence } });
const allocation = (ip: string, allocator: string): LogEvent => ({
  type: "IpAllocated",
  data: { ip, service: "ns/a", pool: "p", reason: "auto-assign", sharing: { key: null, backendKey: "", ports: ["TCP/80"] }, lbClass: null, evidence: { allocator, configHash: null, observedSeq: 0 } },
});

function log(...entries: [string, DomainEvent][]): RawEntry[] {
  return entries.map(([subject, event], i) => ({ meta: { stream: "EVENTS", seq: i + 1, time: 1_000 + i, subject }, data: encodeEvent(event) }));
}

/** 198.18.0.10 allocated (ownership claims are taken only for allocated addresses), at sequence 0 so a test's log applies. */
function allocatedState(): LogState {
  const pool = { name: "p", addresses: ["198.18.0.0/24"], autoAssign: true, avoidBuggyIPs: false, labels: {}, serviceAllocation: null };
  const config: LogEvent = { type: "ConfigApplied", data: { source: "file", hash: "h", config: { pools: [pool], l2Advertisements: [], services: [], nodes: [], namespaces: [] } } };
  const state = applyLogBatch(emptyLogState(), decodeLogEntries(log([subjects.config("file"), config], [subjects.ipClaim("198.18.0.10", "a1"), allocation("198.18.0.10", "a1")]), ignore));
  return { ...state, seq: 0 };
}

const replay = (raw: RawEntry[]): LogState => applyLogBatch(emptyLogState(), decodeLogEntries(raw, ignore));
const replayAllocated = (raw: RawEntry[]): LogState => applyLogBatch(allocatedState(), decodeLogEntries(raw, ignore));

describe("subjects of the identity layout", () => {
  it("a claim subject names its VIP and claimant; its chain is the VIP's wildcard", () => {
    const subject = subjects.vipClaim("198.18.0.10", "node-1.example");
    expect(subject).toBe("vipmesh.ev.vip.198_18_0_10.node-1_example");
    expect(parseSubject(subject)).toEqual({ kind: "vip", vip: "198.18.0.10", publisher: "node-1.example" });
    expect(chainOf(subject)).toBe("vipmesh.ev.vip.198_18_0_10.*");
    expect(chainOf(subjects.ipClaim("2001:db8::5", "a1"))).toBe("vipmesh.ev.ip.2001:db8::5.*");
  });

  it("the first layout's subjects still parse, naming no publisher, and guard no chain", () => {
    expect(parseSubject(legacySubjects.vip("198.18.0.10"))).toEqual({ kind: "vip", vip: "198.18.0.10", publisher: null });
    expect(parseSubject(legacySubjects.conflict("198.18.0.10"))).toEqual({ kind: "conflict", vip: "198.18.0.10", publisher: null });
    expect(chainOf(legacySubjects.vip("198.18.0.10"))).toBeNull();
  });

  it.each([
    ["vipmesh.ev.node.a.b"],
    ["vipmesh.ev.vip.198_18_0_1.n.x"],
    ["vipmesh.ev.vip..n"],
    ["vipmesh.hb.a.b"],
    ["other.ev.vip.x.y"],
  ])("%s is unknown", (subject) => {
    expect(parseSubject(subject)).toEqual({ kind: "unknown" });
  });
});

describe("the projection refuses an event whose payload names another identity than its subject", () => {
  it.each<[string, string, LogEvent, RegExp]>([
    ["a claim by node2 on node1's subject", subjects.vipClaim("198.18.0.10", "node1"), claim("198.18.0.10", "node2", 1), /node "node1" but the payload "node2"/],
    ["a claim for another VIP", subjects.vipClaim("198.18.0.11", "node1"), claim("198.18.0.10", "node1", 1), /VIP "198.18.0.11"/],
    ["a leave of node2 on node1's subject", subjects.nodeLifecycle("node1"), { type: "NodeLeft", data: { node: "node2", incarnation: 2 ** 40, reason: "drain" } }, /node "node1"/],
    ["a restart of node2 on node1's subject", subjects.nodeLifecycle("node1"), { type: "NodeRestarting", data: { node: "node2", incarnation: 3, graceMs: 1_000 } }, /node "node1"/],
    ["a conflict report naming another node", subjects.conflict("198.18.0.10", "node1"), { type: "VipConflictObserved", data: { vip: "198.18.0.10", node: "node2", otherMac: "02:00:00:00:00:01", ifname: "eth0", count: 1 } }, /node "node1"/],
    ["an allocation naming another allocator", subjects.ipClaim("198.18.0.10", "a1"), allocation("198.18.0.10", "a2"), /allocator "a1" but the payload "a2"/],
    ["a leave published on a VIP's subject", subjects.vipClaim("198.18.0.10", "node1"), { type: "NodeLeft", data: { node: "node1", incarnation: 1, reason: "drain" } }, /does not belong on this subject/],
    ["a configuration from another source", subjects.config("file"), { type: "ConfigApplied", data: { source: "kubernetes", hash: "h", config: labConfig(1) } }, /source "file"/],
  ])("%s", (_name, subject, event, why) => {
    const state = replay(log([subject, event]));
    expect(state.refusedIdentity).toBe(1);
    expect(state.lastIdentityRefusal?.why).toMatch(why);
    expect(state.left).toEqual({});
    expect(state.restarting).toEqual({});
    expect(state.conflicts).toEqual({});
    expect(state.config).toBeNull();
    expect(Object.values(state.vips).every((v) => v.owner === null)).toBe(true);
    expect(state.ipam.ips).toEqual(Object.fromEntries(Object.entries(state.ipam.ips).map(([k, b]) => [k, Object.fromEntries(Object.entries(b).map(([ip, r]) => [ip, { ...r, holders: [] }]))])));
  });

  it("a refused claim still moves the chain's sequence, so the next claim must expect it", () => {
    const state = replay(log([subjects.vipClaim("198.18.0.10", "node1"), claim("198.18.0.10", "node2", 1)]));
    expect(state.vips["198.18.0.10"]).toMatchObject({ owner: null, term: 0, subjectSeq: 1 });
  });

  it("claims by different nodes extend one chain (each on its own subject)", () => {
    const state = replayAllocated(log(
      [subjects.vipClaim("198.18.0.10", "node1"), claim("198.18.0.10", "node1", 1)],
      [subjects.vipClaim("198.18.0.10", "node2"), claim("198.18.0.10", "node2", 2)],
    ));
    expect(state.vips["198.18.0.10"]).toMatchObject({ owner: "node2", term: 2, subjectSeq: 2 });
    expect(state.refusedIdentity).toBe(0);
  });

  it("an old log's chain continues on the new layout: the first new claim expects 0 on the wildcard, with the next term", () => {
    const state = replayAllocated(log(
      [legacySubjects.vip("198.18.0.10"), claim("198.18.0.10", "node1", 1)],
      [legacySubjects.vip("198.18.0.10"), claim("198.18.0.10", "node2", 2)],
    ));
    expect(state.vips["198.18.0.10"]).toMatchObject({ owner: "node2", term: 2, subjectSeq: 0 });
    const next = applyLogBatch(state, decodeLogEntries([{ meta: { stream: "EVENTS", seq: 3, time: 2_000, subject: subjects.vipClaim("198.18.0.10", "node1") }, data: encodeEvent(claim("198.18.0.10", "node1", 3)) }], ignore));
    expect(next.vips["198.18.0.10"]).toMatchObject({ owner: "node1", term: 3, subjectSeq: 3 });
  });

  it("the replay shows a refused event with its reason", () => {
    const { rows } = buildTimeline(decodeLogEntries(log([subjects.nodeLifecycle("node1"), { type: "NodeLeft", data: { node: "node2", incarnation: 9, reason: "drain" } }]), ignore));
    expect(rows).toEqual([expect.objectContaining({ kind: "identity-refused", type: "NodeLeft", subject: "vipmesh.ev.node.node1", why: expect.stringMatching(/node "node1" but the payload "node2"/) })]);
  });

  it("a heartbeat naming another node than its subject is refused by membership", () => {
    const beat = (node: string): DomainEvent => ({ type: "NodeHeartbeatRecorded", data: { node, incarnation: 1, beat: 1, ready: true, version: "t", health: 0, interfaces: [] } });
    const raw: RawEntry[] = [
      { meta: { stream: "HEARTBEATS", seq: 1, time: 1_000, subject: subjects.heartbeat("node1") }, data: encodeEvent(beat("node2")) },
      { meta: { stream: "HEARTBEATS", seq: 2, time: 1_001, subject: subjects.heartbeat("node3") }, data: encodeEvent(beat("node3")) },
    ];
    const members = applyHeartbeatBatch(emptyMembership(), decodeHeartbeatEntries(raw, ignore), DEFAULT_MEMBERSHIP_SETTINGS);
    expect(Object.keys(members.nodes)).toEqual(["node3"]);
    expect(members.refusedIdentity).toBe(1);
  });

  it("property: whatever node a payload names, it stands only on its own subject", () => {
    const name = fc.constantFrom("node1", "node2", "node3");
    fc.assert(
      fc.property(fc.array(fc.tuple(name, name, fc.integer({ min: 1, max: 4 })), { maxLength: 30 }), (claims) => {
        const raw = log(...claims.map(([subjectNode, payloadNode, term]): [string, DomainEvent] => [subjects.vipClaim("198.18.0.10", subjectNode), claim("198.18.0.10", payloadNode, term)]));
        const state = replayAllocated(raw);
        const forged = claims.filter(([s, p]) => s !== p).length;
        expect(state.refusedIdentity).toBe(forged);
        expect(state.vips["198.18.0.10"]?.subjectSeq ?? 0).toBe(claims.length);
        let term = 0;
        let owner: string | null = null;
        for (const [s, p, t] of claims) {
          if (s === p && t === term + 1) [term, owner] = [t, p];
        }
        expect(state.vips["198.18.0.10"]?.owner ?? null).toBe(owner);
        expect(identityProblem(subjects.vipClaim("198.18.0.10", "node1"), claim("198.18.0.10", "node1", 1))).toBeNull();
      }),
    );
  });
});
