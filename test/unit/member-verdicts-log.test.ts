// Watchers' verdicts on the log (design.md, "Membership: watchers and verdicts"): the events and their subjects, the
// boundary's checks, rule 1, the projection that accepts a verdict only from a designated watcher, and the
// membership of `verdicts` mode that the ownership plan reads instead of heartbeat timing.
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { decodeEvent, encodeEvent } from "../../src/events/codec.js";
import { decodeHeartbeatEntries, decodeLogEntries } from "../../src/events/entries.js";
import { Auditor } from "../../src/projections/audit/audit.js";
import { chainOf, parseSubject, subjects } from "../../src/events/subjects.js";
import type { LogEvent, MemberVerdictEvent, VerdictEvidence } from "../../src/events/types.js";
import { formatTimeline } from "../../src/cli/replayFormat.js";
import { applyLogBatch } from "../../src/projections/batch.js";
import { emptyLogState } from "../../src/projections/logState.js";
import { verdictMembers, watcherRoster } from "../../src/projections/members/verdictMembership.js";
import { designatedWatchers, ringWatchers } from "../../src/projections/members/watchers.js";
import { planClaims } from "../../src/projections/ownershipPlan.js";
import { decodeSnapshot, encodeSnapshot } from "../../src/projections/snapshot.js";
import { buildTimeline } from "../../src/projections/timeline.js";
import { labConfig, SimCluster } from "../support/simCluster.js";

const evidence: VerdictEvidence = { lastReplyAt: 1_700_000_000_000, probes: 6, indirect: [{ via: "node3", replied: false }, { via: "node4", replied: false }], watcherHealth: 0 };
const meta = (seq: number, subject: string) => ({ stream: "EVENTS" as const, seq, time: 1_700_000_000_000 + seq, subject });

function verdictEvent(type: MemberVerdictEvent["type"], target: string, watcher: string, incarnation: number, position: number, over: Partial<VerdictEvidence> = {}): MemberVerdictEvent {
  return { type, data: { target, watcher, incarnation, position, evidence: { ...evidence, ...over } } };
}

/** A verdicts-mode cluster of four nodes and six VIPs, every VIP owned. */
function cluster(): SimCluster {
  const sim = new SimCluster(undefined, "verdicts");
  sim.applyConfig(labConfig(6));
  for (const n of ["node1", "node2", "node3", "node4"]) sim.addNode(n, 100);
  sim.run(1_000);
  return sim;
}

/** Appends a verdict as a watcher would: on its own subject, compare-and-set over the target's chain. */
function judge(sim: SimCluster, v: MemberVerdictEvent): number | null {
  return sim.append("EVENTS", subjects.memberVerdict(v.data.target, v.data.watcher), v, sim.view.log.memberChains[v.data.target] ?? 0);
}

const ownerOf = (sim: SimCluster, vip: string): string => sim.owners()[vip] ?? "";

describe("verdict events at the boundary", () => {
  it("NodeSuspected, NodeDeclaredDead and NodeAlive decode as they were encoded", () => {
    for (const type of ["NodeSuspected", "NodeDeclaredDead", "NodeAlive"] as const) {
      const event = verdictEvent(type, "node1", "node2", 7, 12);
      const decoded = decodeEvent(encodeEvent(event), meta(13, subjects.memberVerdict("node1", "node2")));
      expect(decoded.ok && decoded.event.type === type && decoded.event.data).toEqual(event.data);
    }
  });

  it("a verdict whose evidence is out of range is refused with the field", () => {
    for (const [over, field] of [[{ watcherHealth: 9 }, "evidence.watcherHealth"], [{ probes: -1 }, "evidence.probes"]] as const) {
      const bytes = encodeEvent(verdictEvent("NodeDeclaredDead", "node1", "node2", 7, 12, over));
      const decoded = decodeEvent(bytes, meta(13, subjects.memberVerdict("node1", "node2")));
      expect(decoded.ok).toBe(false);
      if (!decoded.ok) expect(decoded.invalid).toMatchObject({ reason: "bad-data", detail: expect.stringContaining(field) });
    }
  });

  it("a death verdict is written as v1 (older speakers read it) unless its watcher was starved: v2, with the silence it waited for", () => {
    const envelope = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes)) as { v: number; data: { evidence: Record<string, unknown> } };
    expect(envelope(encodeEvent(verdictEvent("NodeDeclaredDead", "node1", "node2", 7, 12)))).toMatchObject({ v: 1 });
    const starved = verdictEvent("NodeDeclaredDead", "node1", "node2", 7, 12, { watcherHealth: 5, starved: { silentForMs: 712, widestMs: 700 } });
    expect(envelope(encodeEvent(starved))).toMatchObject({ v: 2, data: { evidence: { starved: { silentForMs: 712, widestMs: 700 } } } });
    const decoded = decodeEvent(encodeEvent(starved), meta(13, subjects.memberVerdict("node1", "node2")));
    expect(decoded.ok && decoded.event.data).toEqual(starved.data);
    // v2 without its silence is not a v2 verdict.
    const bare = new TextEncoder().encode(JSON.stringify({ type: "NodeDeclaredDead", v: 2, data: verdictEvent("NodeDeclaredDead", "node1", "node2", 7, 12).data }));
    const refused = decodeEvent(bare, meta(13, subjects.memberVerdict("node1", "node2")));
    expect(!refused.ok && refused.invalid).toMatchObject({ reason: "bad-data", detail: expect.stringContaining("evidence.starved") });
  });

  it("facts say the speaker's mode: written as v1 in heartbeats mode (older speakers read it), v2 in verdicts mode", () => {
    const facts = (membership?: "heartbeats" | "verdicts") => ({ type: "NodeFactsChanged" as const, data: { node: "n", incarnation: 1, version: "t", interfaces: [], ...(membership ? { membership } : {}) } });
    const envelope = (bytes: Uint8Array) => JSON.parse(new TextDecoder().decode(bytes)) as { v: number; data: Record<string, unknown> };
    expect(envelope(encodeEvent(facts("heartbeats")))).toMatchObject({ v: 1 });
    expect(envelope(encodeEvent(facts("heartbeats"))).data).not.toHaveProperty("membership");
    expect(envelope(encodeEvent(facts("verdicts")))).toMatchObject({ v: 2, data: { membership: "verdicts" } });
    const decoded = decodeEvent(encodeEvent(facts("verdicts")), meta(1, subjects.nodeLifecycle("n")));
    expect(decoded.ok && decoded.event.type === "NodeFactsChanged" && decoded.event.data.membership).toBe("verdicts");
  });

  it("a NodePresence on HEARTBEATS is valid, and the heartbeat membership skips it without counting it invalid", () => {
    const bytes = encodeEvent({ type: "NodePresence", data: { node: "n1", incarnation: 5, version: "t", health: 2, eventsSeq: 40 } });
    const invalid: string[] = [];
    const [entry] = decodeHeartbeatEntries([{ meta: { stream: "HEARTBEATS", seq: 1, time: 1, subject: subjects.heartbeat("n1") }, data: bytes }], (i) => invalid.push(i.reason));
    expect(entry?.event).toBeNull();
    expect(invalid).toEqual([]);
    const decoded = decodeEvent(bytes, { stream: "HEARTBEATS", seq: 1, time: 1, subject: subjects.heartbeat("n1") });
    expect(decoded.ok && decoded.event.data).toEqual({ node: "n1", incarnation: 5, version: "t", health: 2, eventsSeq: 40 });
  });

  it("subjects: the target is the key, the watcher the last token, and the chain is the target's wildcard", () => {
    const subject = subjects.memberVerdict("node-1.example", "node-2.example");
    expect(subject).toBe("vipmesh.ev.member.node-1_example.node-2_example");
    expect(parseSubject(subject)).toEqual({ kind: "member", target: "node-1.example", watcher: "node-2.example" });
    expect(chainOf(subject)).toBe("vipmesh.ev.member.node-1_example.*");
  });
});

describe("the verdict projection on EVENTS", () => {
  it("a death verdict from the owner's designated watcher moves its VIPs in verdicts mode, with no heartbeat timing involved", () => {
    const sim = cluster();
    const owner = ownerOf(sim, "198.18.8.1");
    const members = sim.view.planMembers;
    const watcher = designatedWatchers(owner, watcherRoster(sim.view.log, members), sim.view.log, members, sim.settings)[0] ?? "";
    sim.kill(owner);
    sim.run(2_000); // silence far past the heartbeat detector's 300 ms: nothing moves without a verdict
    expect(ownerOf(sim, "198.18.8.1")).toBe(owner);
    expect(judge(sim, verdictEvent("NodeDeclaredDead", owner, watcher, 100, sim.view.log.seq))).not.toBeNull();
    expect(sim.view.log.verdicts.targets[owner]).toMatchObject({ status: "dead", by: watcher, incarnation: 100 });
    expect(sim.view.planMembers.nodes[owner]?.status).toBe("dead");
    sim.run(100);
    const after = ownerOf(sim, "198.18.8.1");
    expect(after).not.toBe(owner);
    const claim = buildTimeline(decodeLogEntries(sim.events, () => undefined)).rows.find((r) => r.kind === "owner-changed" && r.vip === "198.18.8.1" && r.reason === "owner-dead");
    expect(claim).toMatchObject({ from: owner, to: after, evidence: { previousOwnerStatus: "dead" } });
  });

  it("a verdict from a node that is no designated watcher is refused and counted, and replay says why", () => {
    const sim = cluster();
    const target = "node1";
    const members = sim.view.planMembers;
    const designated = designatedWatchers(target, watcherRoster(sim.view.log, members), sim.view.log, members, sim.settings);
    const outsider = ["node2", "node3", "node4"].find((n) => !designated.includes(n));
    // With 4 nodes and k = 3 every other node is in the ring; a fifth, joined, node outside it is needed.
    const stranger = outsider ?? (() => {
      for (let i = 5; i < 40; i++) {
        const name = `node${i}`;
        sim.addNode(name, 100);
        sim.run(100);
        const ring = ringWatchers(target, watcherRoster(sim.view.log, sim.view.planMembers), 3);
        if (!ring.includes(name) && !designatedWatchers(target, watcherRoster(sim.view.log, sim.view.planMembers), sim.view.log, sim.view.planMembers, sim.settings).includes(name)) return name;
      }
      throw new Error("no node outside node1's watchers");
    })();
    expect(judge(sim, verdictEvent("NodeDeclaredDead", target, stranger, 100, sim.view.log.seq))).not.toBeNull();
    expect(sim.view.log.verdicts.targets[target]?.status).toBe("alive");
    expect(sim.view.log.verdicts.refused["not-a-watcher"]).toBe(1);
    const text = formatTimeline(buildTimeline(decodeLogEntries(sim.events, () => undefined)).rows, null);
    expect(text).toContain(`${stranger} declared dead ${target}: refused (not-a-watcher)`);
    expect(text).toContain("indirect node3: no reply, node4: no reply");
  });

  it("rule 1: a verdict whose payload names another watcher than its subject is refused for identity", () => {
    const sim = cluster();
    const forged = verdictEvent("NodeDeclaredDead", "node1", "node2", 100, sim.view.log.seq);
    const before = sim.view.log.refusedIdentity;
    sim.append("EVENTS", subjects.memberVerdict("node1", "node3"), forged, sim.view.log.memberChains["node1"] ?? 0);
    expect(sim.view.log.refusedIdentity).toBe(before + 1);
    expect(sim.view.log.verdicts.targets["node1"]?.status).toBe("alive");
    // It still occupies the chain: the next verdict must expect it.
    expect(sim.view.log.memberChains["node1"]).toBe(sim.view.log.seq);
  });

  it("the first death verdict for an incarnation wins: a second one loses the compare-and-set, or is refused if stored", () => {
    const sim = cluster();
    const chainSeq = sim.view.log.memberChains["node1"] ?? 0;
    const [w1, w2] = designatedWatchers("node1", watcherRoster(sim.view.log, sim.view.planMembers), sim.view.log, sim.view.planMembers, sim.settings);
    const first = verdictEvent("NodeDeclaredDead", "node1", w1 ?? "", 100, sim.view.log.seq);
    const second = verdictEvent("NodeDeclaredDead", "node1", w2 ?? "", 100, sim.view.log.seq);
    expect(sim.append("EVENTS", subjects.memberVerdict("node1", w1 ?? ""), first, chainSeq)).not.toBeNull();
    expect(sim.append("EVENTS", subjects.memberVerdict("node1", w2 ?? ""), second, chainSeq)).toBeNull();
    expect(judge(sim, second)).not.toBeNull();
    expect(sim.view.log.verdicts.refused["already-dead"]).toBe(1);
    expect(sim.view.log.verdicts.targets["node1"]?.by).toBe(w1);
  });

  it("a suspected node refutes with NodeAlive at a higher incarnation; a far-future one is refused", () => {
    const sim = cluster();
    const [w] = designatedWatchers("node2", watcherRoster(sim.view.log, sim.view.planMembers), sim.view.log, sim.view.planMembers, sim.settings);
    judge(sim, verdictEvent("NodeSuspected", "node2", w ?? "", 100, sim.view.log.seq));
    expect(sim.view.planMembers.nodes["node2"]?.status).toBe("suspect");
    judge(sim, verdictEvent("NodeAlive", "node2", "node2", sim.time + 2 * 60 * 60_000, sim.view.log.seq));
    expect(sim.view.log.refused["incarnation-in-future"]).toBe(1);
    judge(sim, verdictEvent("NodeAlive", "node2", "node2", 101, sim.view.log.seq));
    expect(sim.view.log.verdicts.targets["node2"]).toMatchObject({ status: "alive", incarnation: 101 });
    // A watcher's verdict about the old incarnation no longer counts.
    judge(sim, verdictEvent("NodeDeclaredDead", "node2", w ?? "", 100, sim.view.log.seq));
    expect(sim.view.log.verdicts.refused["stale-incarnation"]).toBe(1);
    expect(sim.view.planMembers.nodes["node2"]).toMatchObject({ status: "alive", incarnation: 100 });
  });

  it("a starved watcher's death verdict is refused; a dead node is alive again when a new incarnation joins", () => {
    const sim = cluster();
    const [w] = designatedWatchers("node3", watcherRoster(sim.view.log, sim.view.planMembers), sim.view.log, sim.view.planMembers, sim.settings);
    judge(sim, verdictEvent("NodeDeclaredDead", "node3", w ?? "", 100, sim.view.log.seq, { watcherHealth: 4 }));
    expect(sim.view.log.verdicts.refused["watcher-starved"]).toBe(1);
    judge(sim, verdictEvent("NodeDeclaredDead", "node3", w ?? "", 100, sim.view.log.seq));
    expect(sim.view.planMembers.nodes["node3"]?.status).toBe("dead");
    sim.restart("node3"); // incarnation 101: its facts are its join
    sim.run(100);
    expect(sim.view.planMembers.nodes["node3"]).toMatchObject({ status: "alive", incarnation: 101 });
  });

  it("a starved watcher's death verdict counts once it waited for the widest timeout, and not when it says it waited less", () => {
    const sim = cluster();
    const [w] = designatedWatchers("node3", watcherRoster(sim.view.log, sim.view.planMembers), sim.view.log, sim.view.planMembers, sim.settings);
    judge(sim, verdictEvent("NodeDeclaredDead", "node3", w ?? "", 100, sim.view.log.seq, { watcherHealth: 6, starved: { silentForMs: 650, widestMs: 700 } }));
    expect(sim.view.log.verdicts.refused["watcher-starved"]).toBe(1);
    expect(sim.view.planMembers.nodes["node3"]?.status).toBe("alive");
    judge(sim, verdictEvent("NodeDeclaredDead", "node3", w ?? "", 100, sim.view.log.seq, { watcherHealth: 6, starved: { silentForMs: 705, widestMs: 700 } }));
    expect(sim.view.log.verdicts.refused["watcher-starved"]).toBe(1);
    expect(sim.view.planMembers.nodes["node3"]?.status).toBe("dead");
  });

  it("the same log gives the same state applied at once or one message at a time, and a snapshot keeps the verdicts", () => {
    const sim = cluster();
    const [w] = designatedWatchers("node1", watcherRoster(sim.view.log, sim.view.planMembers), sim.view.log, sim.view.planMembers, sim.settings);
    judge(sim, verdictEvent("NodeSuspected", "node1", w ?? "", 100, sim.view.log.seq));
    judge(sim, verdictEvent("NodeDeclaredDead", "node1", "node1", 100, sim.view.log.seq));
    judge(sim, verdictEvent("NodeDeclaredDead", "node1", w ?? "", 100, sim.view.log.seq));
    sim.run(200);
    const decoded = decodeLogEntries(sim.events, () => undefined);
    const whole = applyLogBatch(emptyLogState(), decoded);
    let stepwise = emptyLogState();
    for (const e of decoded) stepwise = applyLogBatch(stepwise, [e]);
    expect(stepwise).toEqual(whole);
    expect(whole.verdicts).toEqual(sim.view.log.verdicts);
    expect(whole.verdicts.refused["self-verdict"]).toBe(1);
    expect(decodeSnapshot(encodeSnapshot(whole)).state.verdicts).toEqual(whole.verdicts);
  });

  it("a snapshot of version 7 (before verdicts) upcasts to what a replay of its log gives", () => {
    const sim = cluster();
    const state = applyLogBatch(emptyLogState(), decodeLogEntries(sim.events, () => undefined));
    const { verdicts: _v, memberChains: _m, lastVerdictRefusal: _l, ...v7 } = JSON.parse(encodeSnapshot(state)).state as typeof state;
    const text = JSON.stringify(v7);
    const snapshot = decodeSnapshot(`{"version":7,"seq":${state.seq},"messageSha256":null,"stateSha256":"${createHash("sha256").update(text).digest("hex")}","state":${text}}`);
    expect(snapshot.state.verdicts).toEqual(state.verdicts);
    expect(Object.keys(snapshot.state.verdicts.targets)).toHaveLength(4);
  });

  it("verdicts mode needs no heartbeats at all: membership from joins, leaves and verdicts on EVENTS", () => {
    const sim = cluster();
    const onlyEvents = applyLogBatch(emptyLogState(), decodeLogEntries(sim.events, () => undefined));
    const members = verdictMembers(onlyEvents, sim.settings);
    expect(Object.keys(members.nodes).sort()).toEqual(["node1", "node2", "node3", "node4"]);
    expect(Object.values(members.nodes).every((m) => m.status === "alive")).toBe(true);
    // Every VIP keeps its owner in a plan made from EVENTS alone.
    expect(planClaims(onlyEvents, members, sim.settings)).toEqual([]);
    sim.leave("node4");
    const afterLeave = verdictMembers(sim.view.log, sim.settings);
    expect(watcherRoster(sim.view.log, afterLeave)).not.toContain("node4");
  });
});

describe("the audit in verdicts mode", () => {
  function audit(sim: SimCluster) {
    const auditor = new Auditor({ membership: sim.settings, handoverBoundMs: 250 }, []);
    auditor.applyEvents(decodeLogEntries(sim.events, auditor.invalid));
    auditor.applyHeartbeats(decodeHeartbeatEntries(sim.heartbeats, auditor.invalid));
    return auditor.finish();
  }

  it("a takeover after an accepted death verdict is justified; a refused verdict is listed with its reason", () => {
    const sim = cluster();
    const owner = ownerOf(sim, "198.18.8.1");
    const [w] = designatedWatchers(owner, watcherRoster(sim.view.log, sim.view.planMembers), sim.view.log, sim.view.planMembers, sim.settings);
    sim.kill(owner);
    judge(sim, verdictEvent("NodeDeclaredDead", owner, owner === "node1" ? "node2" : "node1", 100, sim.view.log.seq, { watcherHealth: 6 }));
    judge(sim, verdictEvent("NodeDeclaredDead", owner, w ?? "", 100, sim.view.log.seq));
    sim.run(200);
    expect(ownerOf(sim, "198.18.8.1")).not.toBe(owner);
    const report = audit(sim);
    expect(report.findings.filter((f) => f.level === "violation")).toEqual([]);
    expect(report.findings.some((f) => f.level === "listing" && /NodeDeclaredDead on node\d by node\d refused: watcher-starved/.test(f.message))).toBe(true);
  });

  it("an owner-dead claim by a verdicts-mode claimant with no death verdict before it is a violation", () => {
    const sim = cluster();
    const owner = ownerOf(sim, "198.18.8.1");
    const claimant = ["node1", "node2", "node3", "node4"].find((n) => n !== owner) ?? "";
    const record = sim.view.log.vips["198.18.8.1"];
    const evidence = { previousOwner: owner, previousOwnerStatus: "dead", previousOwnerLastHeardAt: null, silentForMs: null, observedAt: sim.time, heartbeatSeq: sim.view.log.seq, eligibleNodes: 3 };
    sim.append("EVENTS", subjects.vipClaim("198.18.8.1", claimant), { type: "VipClaimed", data: { vip: "198.18.8.1", node: claimant, incarnation: 100, term: (record?.term ?? 0) + 1, reason: "owner-dead", evidence } }, record?.subjectSeq ?? 0);
    const violations = audit(sim).findings.filter((f) => f.level === "violation");
    expect(violations).toHaveLength(1);
    expect(violations[0]?.message).toContain(`no accepted death verdict on ${owner} came before it (its verdict status: alive)`);
  });
});

// Keeps the LogEvent union honest: every verdict type is a log event.
const _typed: LogEvent = verdictEvent("NodeAlive", "a", "a", 1, 0);
void _typed;
