import { describe, expect, it } from "vitest";
import { subjects } from "../../src/events/subjects.js";
import { configChangeMessages } from "../../src/events/configChangeEvents.js";
import type { ClusterConfig } from "../../src/config/types.js";
import { encodeSnapshot } from "../../src/projections/snapshot.js";
import { applyLogBatch } from "../../src/projections/batch.js";
import { emptyLogState } from "../../src/projections/logState.js";
import { decodeLogEntries } from "../../src/events/entries.js";
import { AuditLog, ofCheck, violations } from "../support/auditLog.js";
import { clusterConfig, pool, service } from "../support/ipamFixtures.js";

const VIP = "198.18.0.200";
const sharing = { key: null, backendKey: "", ports: ["TCP/80"] };
const evidence = { allocator: "alloc-a", configHash: "h", observedSeq: 1 };

/** A pool holding the VIP and a Service it is allocated to: claims for an address no Service holds are refused. */
function allocated(log: AuditLog): AuditLog {
  log.config(clusterConfig({ pools: [pool("p", ["198.18.0.0/24", "198.18.5.0/24"])], services: [service("default/web")] }), 0);
  log.allocate(VIP, "default/web", 1);
  return log;
}

/** n1 owns the VIP, dies at 1000 ms (its beats stop), n2 claims it at 1400 ms once the heartbeats show n1 dead. */
function failover(log = allocated(new AuditLog())): { log: AuditLog; claim: number } {
  log.claim({ vip: VIP, node: "n1", term: 1, reason: "unowned", from: null, position: 0, at: 10 });
  log.beats(["n1", "n2"], 0, 1000);
  const position = log.beats(["n2"], 1000, 1400);
  const claim = log.claim({ vip: VIP, node: "n2", term: 2, reason: "owner-dead", from: "n1", position, at: 1400 });
  log.beats(["n2"], 1400, 2000);
  return { log, claim };
}

describe("audit: ownership", () => {
  it("finds nothing wrong in a clean failover", () => {
    const report = failover().log.audit();
    expect(violations(report)).toEqual([]);
    expect(report.counts).toMatchObject({ events: 4, violations: 0, notes: 0 });
  });

  it("flags a duplicate claim (a term the log already gave), naming both claims", () => {
    const { log, claim } = failover();
    const dup = log.claim({ vip: VIP, node: "n1", term: 2, reason: "owner-dead", from: "n2", position: 1, at: 1500 });
    const later = log.claim({ vip: VIP, node: "n1", term: 3, reason: "owner-dead", from: "n2", position: log.heartbeats.length, at: 1600 });
    const report = log.audit();
    const found = ofCheck(report, "claim-term");
    expect(found).toHaveLength(1);
    expect(found[0]?.message).toMatch(/repeats term 2/);
    expect(found[0]?.events.map((e) => e.seq)).toEqual([claim, dup]);
    // The next claim is judged against the claim the log accepted, not the duplicate.
    expect(ofCheck(report, "claim-unjustified").map((f) => f.events.map((e) => e.seq))).toEqual([[claim, later]]);
  });

  it("flags an owner-dead claim while the owner kept beating", () => {
    const log = allocated(new AuditLog());
    log.claim({ vip: VIP, node: "n1", term: 1, reason: "unowned", from: null, position: 0, at: 10 });
    const position = log.beats(["n1", "n2"], 0, 1400);
    const claim = log.claim({ vip: VIP, node: "n2", term: 2, reason: "owner-dead", from: "n1", position, at: 1400 });
    log.beats(["n1", "n2"], 1400, 2000);
    const found = violations(log.audit());
    expect(found.map((f) => f.check)).toEqual(["claim-unjustified"]);
    expect(found[0]?.message).toMatch(/says n1 was dead, but at heartbeat #\d+ the membership shows it alive/);
    expect(found[0]?.events.map((e) => e.seq)).toEqual([3, claim]);
  });

  it("says an owner-dead claim cannot be checked once its heartbeats aged out, as a note, not a violation", () => {
    const log = allocated(new AuditLog(5_000));
    log.claim({ vip: VIP, node: "n1", term: 1, reason: "unowned", from: null, position: 0, at: 10 });
    log.claim({ vip: VIP, node: "n2", term: 2, reason: "owner-dead", from: "n1", position: 4_000, at: 1400 });
    log.beats(["n2"], 60_000, 61_000);
    const report = log.audit();
    expect(violations(report)).toEqual([]);
    expect(report.findings.filter((f) => f.level === "note").map((f) => f.message)).toEqual([expect.stringMatching(/cannot be checked: the heartbeats around position #4000 .* aged out/)]);
  });

  it("flags an unowned claim on an owned VIP and an owner-left claim with no leave", () => {
    const log = allocated(new AuditLog());
    log.claim({ vip: VIP, node: "n1", term: 1, reason: "unowned", from: null, position: 0, at: 10 });
    log.claim({ vip: VIP, node: "n2", term: 2, reason: "unowned", from: null, position: 0, at: 20 });
    log.claim({ vip: VIP, node: "n3", term: 3, reason: "owner-left", from: "n2", position: 0, at: 30 });
    const messages = violations(log.audit()).map((f) => f.message);
    expect(messages).toEqual([
      expect.stringMatching(/names no one as the previous owner, but the log's owner was n1/),
      expect.stringMatching(/says the VIP had no owner, but n1 owned it/),
      expect.stringMatching(/says n2 left, but no NodeLeft of n2/),
    ]);
  });

  it("accepts an owner-left claim after the owner's leave", () => {
    const log = allocated(new AuditLog());
    log.claim({ vip: VIP, node: "n1", term: 1, reason: "unowned", from: null, position: 0, at: 10 });
    log.event(subjects.nodeLifecycle("n1"), { type: "NodeLeft", data: { node: "n1", incarnation: 1, reason: "drain" } }, 20);
    log.claim({ vip: VIP, node: "n2", term: 2, reason: "owner-left", from: "n1", position: 0, at: 30 });
    expect(violations(log.audit())).toEqual([]);
  });

  it("flags two owners when a cut-off owner came back without having fenced, and not when it fenced", () => {
    const cutOff = (fenced: boolean): AuditLog => {
      const { log } = failover();
      if (fenced) {
        log.event(subjects.announce("n1"), { type: "FenceLeft", data: { node: "n1", incarnation: 1, reason: "cut off", enteredAt: 1150 + 1_700_000_000_000, leftAt: 5000 + 1_700_000_000_000, unfenceReason: "caught up" } }, 5010);
      }
      log.beats(["n1"], 5000, 5200); // the same incarnation beats again: it was cut off, not dead
      return log;
    };
    const bad = ofCheck(cutOff(false).audit(), "two-owners");
    expect(bad).toHaveLength(1);
    expect(bad[0]?.message).toMatch(/n1 was cut off, not dead .* no fencing episode/);
    expect(bad[0]?.events.at(-1)?.stream).toBe("HEARTBEATS");
    const good = cutOff(true).audit();
    expect(violations(good)).toEqual([]);
    expect(ofCheck(good, "fencing").map((f) => [f.level, f.durationMs])).toEqual([["listing", 3850]]);
  });
});

describe("audit: an owner back within the handover bound", () => {
  it("is no second owner when it beats again within the bound after the claim (its own process stalled), and is one after it", () => {
    const back = (afterMs: number): AuditLog => {
      const { log } = failover();
      log.beats(["n1"], 1400 + afterMs, 1400 + afterMs + 200); // silent from 1000: longer than deadAfter
      return log;
    };
    expect(violations(back(150).audit())).toEqual([]);
    expect(violations(back(250).audit())).toEqual([]);
    expect(ofCheck(back(300).audit(), "two-owners").map((f) => [f.level, f.durationMs])).toEqual([["violation", 300]]);
  });
});

describe("audit: allocations, configuration, snapshots", () => {
  const web = service("default/web");
  const withWeb = clusterConfig({ pools: [pool("p", ["198.18.5.0/24"])], services: [web] });

  it("flags an allocation released and renumbered without its Service's edit", () => {
    const log = new AuditLog();
    log.config(withWeb, 0);
    const first = log.event(subjects.ipClaim("198.18.5.1", "alloc-a"), { type: "IpAllocated", data: { ip: "198.18.5.1", service: "default/web", pool: "p", reason: "auto-assign", sharing, lbClass: null, evidence } }, 10);
    const release = log.event(subjects.ipClaim("198.18.5.1", "alloc-a"), { type: "IpReleased", data: { ip: "198.18.5.1", service: "default/web", reason: "request-changed", detail: "x", evidence } }, 20);
    log.event(subjects.ipClaim("198.18.5.9", "alloc-a"), { type: "IpAllocated", data: { ip: "198.18.5.9", service: "default/web", pool: "p", reason: "auto-assign", sharing, lbClass: null, evidence } }, 30);
    const found = violations(log.audit());
    expect(found.map((f) => [f.check, f.about])).toEqual([["allocation-moved", "198.18.5.1"]]);
    expect(found[0]?.events.map((e) => e.seq)).toEqual([first, release]);
  });

  it("accepts a release that follows the Service's own edit", () => {
    const log = new AuditLog();
    log.config(withWeb, 0);
    log.event(subjects.ipClaim("198.18.5.1", "alloc-a"), { type: "IpAllocated", data: { ip: "198.18.5.1", service: "default/web", pool: "p", reason: "auto-assign", sharing, lbClass: null, evidence } }, 10);
    log.config(clusterConfig({ pools: withWeb.pools, services: [service("default/web", { requestedIps: ["198.18.5.7"] })] }), 15);
    log.event(subjects.ipClaim("198.18.5.1", "alloc-a"), { type: "IpReleased", data: { ip: "198.18.5.1", service: "default/web", reason: "request-changed", detail: "x", evidence } }, 20);
    expect(violations(log.audit())).toEqual([]);
  });

  it("lists a refused allocation with its reason and an allocation a pool edit left outside", () => {
    const log = new AuditLog();
    log.config(clusterConfig({ pools: withWeb.pools, services: [web, service("default/api")] }), 0);
    log.event(subjects.ipClaim("198.18.5.1", "alloc-a"), { type: "IpAllocated", data: { ip: "198.18.5.1", service: "default/web", pool: "p", reason: "auto-assign", sharing, lbClass: null, evidence } }, 10);
    log.event(subjects.ipClaim("198.18.5.1", "alloc-a"), { type: "IpAllocated", data: { ip: "198.18.5.1", service: "default/api", pool: "p", reason: "auto-assign", sharing, lbClass: null, evidence } }, 20);
    log.config(clusterConfig({ pools: [pool("p", ["198.18.6.0/24"])], services: [web] }), 30);
    const report = log.audit();
    expect(violations(report)).toEqual([]);
    expect(ofCheck(report, "refused").map((f) => f.message)).toEqual([expect.stringMatching(/allocation of 198.18.5.1 for default\/api refused: held by default\/web/)]);
    expect(ofCheck(report, "pool-left-outside").map((f) => [f.about, f.events.map((e) => e.seq)])).toEqual([["198.18.5.1", [2, 4]]]);
  });

  it("lists a message the boundary refused, with the reason", () => {
    const log = new AuditLog();
    log.raw(subjects.nodeLifecycle("n1"), "{not json", 5);
    expect(ofCheck(log.audit(), "refused").map((f) => f.message)).toEqual([expect.stringMatching(/^message skipped: not-json/)]);
  });

  it("flags a Kubernetes configuration whose resourceVersions went back", () => {
    const log = new AuditLog();
    const a = log.config(clusterConfig(), 0, "c1@10.7", "kubernetes");
    const b = log.config(clusterConfig({ services: [web] }), 10, "c2@9.8", "kubernetes");
    log.config(clusterConfig(), 20, "f1", "file");
    const found = violations(log.audit());
    expect(found.map((f) => [f.check, f.events.map((e) => e.seq)])).toEqual([["config-went-back", [a, b]]]);
  });

  it("flags a Kubernetes configuration object whose revision went back, per object (per-object events)", () => {
    const log = new AuditLog();
    const change = (from: ClusterConfig | null, to: ClusterConfig, hash: string, after: number, at: number): number[] =>
      configChangeMessages("kubernetes", from, to, hash, hash.split("@")[1] ?? "", after).map((m) => log.event(m.subject, m.event, at));
    const one = clusterConfig({ services: [web] });
    const [a] = change(null, one, "c1@10.7", 0, 0);
    const two = clusterConfig({ services: [{ ...web, labels: { v: "2" } }, service("default/other")] });
    const second = change(one, two, "c2@9.8", a ?? 0, 10); // web's revision goes back in the first kind
    expect(second).toHaveLength(2);
    const found = violations(log.audit());
    expect(found.map((f) => [f.check, f.about, f.events.map((e) => e.seq)])).toEqual([["config-went-back", "kubernetes service/default/web", [a, second[1]]]]);
  });

  it("flags a tampered snapshot and passes a true one", () => {
    const log = allocated(new AuditLog());
    log.claim({ vip: VIP, node: "n1", term: 1, reason: "unowned", from: null, position: 0, at: 10 });
    log.event(subjects.nodeLifecycle("n1"), { type: "NodeLeft", data: { node: "n1", incarnation: 1, reason: "drain" } }, 20);
    const atThree = applyLogBatch(emptyLogState(), decodeLogEntries(log.events.slice(0, 3), () => undefined));
    const truthful = { key: "events-v1", revision: 1, text: encodeSnapshot(atThree) };
    expect(violations(log.audit([truthful]))).toEqual([]);
    const tampered = { ...atThree, vips: { [VIP]: { ...atThree.vips[VIP]!, owner: "n9" } } };
    const found = violations(log.audit([{ key: "events-v1", revision: 2, text: encodeSnapshot(tampered) }]));
    expect(found.map((f) => [f.check, f.message])).toEqual([["snapshot-mismatch", expect.stringMatching(/at EVENTS #3 differs .* in: vips/)]]);
  });

  it("notes a snapshot of another version instead of comparing it", () => {
    const log = new AuditLog();
    log.config(withWeb, 0);
    const report = log.audit([{ key: "events-v1", revision: 1, text: JSON.stringify({ version: 1, seq: 1, state: {} }) }]);
    expect(violations(report)).toEqual([]);
    expect(ofCheck(report, "snapshot-mismatch").map((f) => f.level)).toEqual(["note"]);
  });

  it("lists conflicts with how long they were reported", () => {
    const log = new AuditLog();
    const conflict = (at: number, count: number): number => log.event(subjects.conflict(VIP, "n1"), { type: "VipConflictObserved", data: { vip: VIP, node: "n1", otherMac: "02:00:00:00:00:09", ifname: "eth0", count } }, at);
    conflict(100, 3);
    conflict(60_100, 40);
    const found = ofCheck(log.audit(), "conflict");
    expect(found.map((f) => [f.level, f.durationMs, f.events.length])).toEqual([["listing", 60_000, 2]]);
  });
});
