import { describe, expect, it } from "vitest";
import { createHash } from "node:crypto";
import fc from "fast-check";
import { decodeEvent, encodeEvent } from "../../src/events/codec.js";
import { decodeLogEntries, type RawEntry } from "../../src/events/entries.js";
import { legacySubjects, parseSubject, subjects } from "../../src/events/subjects.js";
import type { IpAllocated, SharingFacts } from "../../src/events/types.js";
import { applyLogBatch, LogReplayer } from "../../src/projections/batch.js";
import { emptyLogState, type LogState } from "../../src/projections/logState.js";
import { decodeSnapshot, encodeSnapshot, READABLE_SNAPSHOT_VERSIONS, SNAPSHOT_VERSION } from "../../src/projections/snapshot.js";
import { vipCatalog } from "../../src/projections/vipCatalog.js";
import { buildTimeline } from "../../src/projections/timeline.js";
import { formatTimeline } from "../../src/cli/replayFormat.js";
import { allocationsByService, ipRecord, serviceIps } from "../../src/projections/ipam/state.js";
import { clusterConfig, pool, service } from "../support/ipamFixtures.js";
import { MemoryLog, Replica } from "../support/ipamLog.js";
import { applyOp, op, type Op } from "../support/ipamArbitraries.js";

// The allocation projection: what it accepts and refuses whoever publishes, and that it is a pure,
// batch-independent function of the log.

const ignore = (): void => undefined;
const facts = (key: string | null, ...ports: string[]): SharingFacts => ({ key, backendKey: "", ports });
const evidence = { allocator: "t", configHash: null, observedSeq: 0 };

function allocated(ip: string, svc: string, sharing: SharingFacts = facts(null, "TCP/80")): IpAllocated {
  return { type: "IpAllocated", data: { ip, service: svc, pool: "p", reason: "auto-assign", sharing, lbClass: null, evidence } };
}

/** A log whose first event is a configuration with pools holding the tests' IPs: allocations outside pools are refused. */
function configuredLog(): MemoryLog {
  const log = new MemoryLog();
  const config = clusterConfig({ pools: [pool("p", ["198.18.0.0/24", "2001:db8::/64"])] });
  log.append(subjects.config("file"), { type: "ConfigApplied", data: { source: "file", hash: "h", config } });
  return log;
}

function replay(entries: RawEntry[], state: LogState = emptyLogState()): LogState {
  return applyLogBatch(state, decodeLogEntries(entries, ignore));
}

describe("the allocation projection refuses what would break an invariant", () => {
  it("a second Service on a held IP is refused unless both may share; the subject sequence still moves", () => {
    const log = configuredLog();
    log.append(subjects.ipClaim("198.18.0.1", "t"), allocated("198.18.0.1", "ns/a"));
    log.append(subjects.ipClaim("198.18.0.1", "t"), allocated("198.18.0.1", "ns/b"));
    const state = replay(log.entries);
    expect(ipRecord(state.ipam, "198.18.0.1")?.holders.map((h) => h.service)).toEqual(["ns/a"]);
    expect(ipRecord(state.ipam, "198.18.0.1")?.subjectSeq).toBe(3);
    expect(state.ipam.rejected).toBe(1);
    expect(state.ipam.lastRejection?.why).toMatch(/held by ns\/a: does not allow sharing/);
  });

  it("two Services with the same key and different ports share; a port clash is refused", () => {
    const log = configuredLog();
    log.append(subjects.ipClaim("198.18.0.1", "t"), allocated("198.18.0.1", "ns/a", facts("k", "TCP/80")));
    log.append(subjects.ipClaim("198.18.0.1", "t"), allocated("198.18.0.1", "ns/b", facts("k", "TCP/443")));
    log.append(subjects.ipClaim("198.18.0.1", "t"), allocated("198.18.0.1", "ns/c", facts("k", "TCP/443")));
    const state = replay(log.entries);
    expect(ipRecord(state.ipam, "198.18.0.1")?.holders.map((h) => h.service)).toEqual(["ns/a", "ns/b"]);
    expect(state.ipam.lastRejection?.why).toMatch(/port TCP\/443 is already in use/);
  });

  it("a Service never holds two IPs of one family, even when two allocators each won a different IP for it", () => {
    // Allocator 1 saw .1 freed and claimed it; allocator 2, not yet seeing that, claimed .2: both compare-and-sets pass.
    const log = configuredLog();
    log.append(subjects.ipClaim("198.18.0.1", "t"), allocated("198.18.0.1", "ns/x"));
    log.append(subjects.ipClaim("198.18.0.2", "t"), allocated("198.18.0.2", "ns/x"));
    log.append(subjects.ipClaim("2001:db8::1", "t"), allocated("2001:db8::1", "ns/x"));
    const state = replay(log.entries);
    expect(serviceIps(state.ipam, "ns/x")).toEqual(["198.18.0.1", "2001:db8::1"]);
    expect(ipRecord(state.ipam, "198.18.0.2")?.holders).toEqual([]);
    expect(state.ipam.lastRejection?.why).toMatch(/already holds 198.18.0.1/);
  });

  it("a release by a Service that does not hold the IP is refused; a release frees the IP", () => {
    const log = configuredLog();
    log.append(subjects.ipClaim("198.18.0.1", "t"), allocated("198.18.0.1", "ns/a"));
    const release = (svc: string) => ({ type: "IpReleased" as const, data: { ip: "198.18.0.1", service: svc, reason: "service-deleted" as const, detail: "", evidence } });
    log.append(subjects.ipClaim("198.18.0.1", "t"), release("ns/b"));
    log.append(subjects.ipClaim("198.18.0.1", "t"), release("ns/a"));
    const state = replay(log.entries);
    expect(state.ipam.rejected).toBe(1);
    expect(ipRecord(state.ipam, "198.18.0.1")).toEqual({ holders: [], subjectSeq: 4 });
    expect(allocationsByService(state.ipam)).toEqual({});
  });

  it("a claim published on another IP's subject is refused (its compare-and-set guarded something else)", () => {
    const log = configuredLog();
    log.append(subjects.ipClaim("198.18.0.9", "t"), allocated("198.18.0.1", "ns/a"));
    const state = replay(log.entries);
    expect(allocationsByService(state.ipam)).toEqual({});
    expect(ipRecord(state.ipam, "198.18.0.9")?.subjectSeq).toBe(2);
    expect(state.refusedIdentity).toBe(1);
    expect(state.lastIdentityRefusal?.why).toMatch(/address "198.18.0.9" but the payload "198.18.0.1"/);
  });

  it("a malformed message on an IP subject still moves that subject's sequence", () => {
    const bad: RawEntry = { meta: { stream: "EVENTS", seq: 1, time: 1, subject: subjects.ipClaim("2001:db8::7", "t") }, data: new TextEncoder().encode("{nope") };
    const state = replay([bad]);
    expect(state.invalidEvents).toBe(1);
    expect(ipRecord(state.ipam, "2001:db8::7")?.subjectSeq).toBe(1);
  });

  it("sharing facts are refreshed in place when they still fit, refused when they clash, duplicates are no-ops", () => {
    const log = configuredLog();
    log.append(subjects.ipClaim("198.18.0.1", "t"), allocated("198.18.0.1", "ns/a", facts("k", "TCP/80")));
    log.append(subjects.ipClaim("198.18.0.1", "t"), allocated("198.18.0.1", "ns/b", facts("k", "TCP/443")));
    log.append(subjects.ipClaim("198.18.0.1", "t"), { ...allocated("198.18.0.1", "ns/a", facts("k", "TCP/80", "TCP/8080")) });
    log.append(subjects.ipClaim("198.18.0.1", "t"), allocated("198.18.0.1", "ns/a", facts("k", "TCP/443")));
    log.append(subjects.ipClaim("198.18.0.1", "t"), allocated("198.18.0.1", "ns/b", facts("k", "TCP/443")));
    const state = replay(log.entries);
    expect(ipRecord(state.ipam, "198.18.0.1")?.holders.map((h) => [h.service, h.sharing.ports])).toEqual([["ns/a", ["TCP/80", "TCP/8080"]], ["ns/b", ["TCP/443"]]]);
    expect(state.ipam.rejected).toBe(2);
  });
});

describe("allocation events on the wire", () => {
  it("IP subjects round-trip for both families", () => {
    expect(subjects.ipClaim("198.18.0.1", "alloc-1.example")).toBe("vipmesh.ev.ip.198_18_0_1.alloc-1_example");
    expect(parseSubject(subjects.ipClaim("2001:db8::1", "a1"))).toEqual({ kind: "ip", ip: "2001:db8::1", publisher: "a1" });
    expect(parseSubject(legacySubjects.ip("2001:db8::1"))).toEqual({ kind: "ip", ip: "2001:db8::1", publisher: null });
  });

  it("an IpAllocated with a non-canonical IP or a bad service name is rejected at the boundary", () => {
    const meta = { stream: "EVENTS" as const, seq: 1, time: 1, subject: "vipmesh.ev.ip.x" };
    const bad = (data: object) => decodeEvent(new TextEncoder().encode(JSON.stringify({ type: "IpAllocated", v: 1, data })), meta);
    const good = allocated("2001:db8::1", "ns/a").data;
    expect(bad(good).ok).toBe(true);
    expect(bad({ ...good, ip: "2001:DB8::1" }).ok).toBe(false);
    expect(bad({ ...good, service: "no-namespace" }).ok).toBe(false);
  });

  it("ConfigApplied v1 (fixed VIPs) is upcast: its IPs become requests of the right families", () => {
    // A payload exactly as vipmesh 0.1 published it.
    const v1 = {
      type: "ConfigApplied",
      v: 1,
      data: {
        source: "file",
        hash: "0123456789abcdef0123456789abcdef",
        config: {
          pools: [{ name: "production", addresses: ["198.18.0.200-198.18.0.250", "2001:db8:0:1::200/124"], autoAssign: true, avoidBuggyIPs: false, labels: {} }],
          l2Advertisements: [{ name: "production", ipAddressPools: ["production"], ipAddressPoolSelectors: [], nodeSelectors: [], interfaces: ["eth0"] }],
          services: [
            { namespace: "default", name: "web", ips: ["198.18.0.200"], externalTrafficPolicy: "Cluster", labels: {}, readyEndpointNodes: [] },
            { namespace: "default", name: "dual", ips: ["198.18.0.201", "2001:db8:0:1::201"], externalTrafficPolicy: "Local", labels: {}, readyEndpointNodes: ["node1"] },
          ],
          nodes: [{ name: "node3", labels: { "node.kubernetes.io/exclude-from-external-load-balancers": "" } }],
        },
      },
    };
    const result = decodeEvent(new TextEncoder().encode(JSON.stringify(v1)), { stream: "EVENTS", seq: 1, time: 1, subject: "vipmesh.ev.config.file" });
    if (!result.ok || result.event.type !== "ConfigApplied") throw new Error(JSON.stringify(result));
    const [web, dual] = result.event.data.config.services;
    expect(web).toMatchObject({ requestedIps: ["198.18.0.200"], ipFamilyPolicy: "SingleStack", ipFamilies: [4], sharingKey: null, statusIps: [] });
    expect(dual).toMatchObject({ requestedIps: ["198.18.0.201", "2001:db8:0:1::201"], ipFamilyPolicy: "RequireDualStack", ipFamilies: [4, 6], readyEndpointNodes: ["node1"] });
    expect(result.event.data.config.pools[0]?.serviceAllocation).toBeNull();
    expect(result.event.data.config.namespaces).toEqual([]);
    // And the allocator gives the upcast Services exactly their old VIPs.
    const log = new MemoryLog();
    log.entries.push({ meta: { stream: "EVENTS", seq: 1, time: 1, subject: "vipmesh.ev.config.file" }, data: new TextEncoder().encode(JSON.stringify(v1)) });
    const replica = new Replica(log, "a");
    replica.converge();
    expect(allocationsByService(replica.state.ipam)).toEqual({ "default/web": ["198.18.0.200"], "default/dual": ["198.18.0.201", "2001:db8:0:1::201"] });
  });

  it("a v1 configuration with a malformed VIP is refused, not half-applied", () => {
    const v1 = { type: "ConfigApplied", v: 1, data: { source: "f", hash: "h", config: { pools: [], l2Advertisements: [], nodes: [], services: [{ namespace: "d", name: "s", ips: ["198.18.0.300"], externalTrafficPolicy: "Cluster", labels: {}, readyEndpointNodes: [] }] } } };
    const result = decodeEvent(new TextEncoder().encode(JSON.stringify(v1)), { stream: "EVENTS", seq: 1, time: 1, subject: "s" });
    expect(result.ok).toBe(false);
  });

  it("a snapshot of a shape before the readable ones is not loaded", () => {
    const older = Math.min(...READABLE_SNAPSHOT_VERSIONS) - 1;
    expect(SNAPSHOT_VERSION).toBe(Math.max(...READABLE_SNAPSHOT_VERSIONS));
    expect(() => decodeSnapshot(JSON.stringify({ version: older, seq: 0, state: emptyLogState() }))).toThrow(new RegExp(`version ${older}`));
  });

  it("a version 6 snapshot (before per-object configuration) is loaded with its configuration as its source's objects", () => {
    const { configSources: _omitted, ...v6State } = applyLogBatch(emptyLogState(), [{ meta: { stream: "EVENTS", seq: 1, time: 1, subject: subjects.config("file") }, event: { type: "ConfigApplied", data: { source: "file", hash: "h", config: clusterConfig({ pools: [pool("p", ["198.18.0.0/24"])] }) } } }]);
    const text = JSON.stringify(v6State);
    const snapshot = decodeSnapshot(`{"version":6,"seq":1,"messageSha256":null,"stateSha256":"${createHash("sha256").update(text).digest("hex")}","state":${text}}`);
    expect(snapshot.state.configSources["file"]).toMatchObject({ hash: "h", chainSeq: 0, pending: null, config: { pools: [{ name: "p" }] } });
  });
});

describe("the allocation projection is deterministic", () => {
  /** A busy history: edits, three racing replicas, restarts. */
  function history(ops: Op[]): MemoryLog {
    const log = new MemoryLog();
    const replicas = [new Replica(log, "r0"), new Replica(log, "r1")];
    let config = clusterConfig({ pools: [pool("p", ["198.18.0.0/29", "2001:db8::/125"])] });
    for (const [i, o] of ops.entries()) {
      config = applyOp(config, o);
      log.applyConfig(config);
      const r = replicas[i % 2] as Replica;
      r.catchUp(Math.max(r.state.seq, log.entries.length - 1));
      r.act();
      replicas[(i + 1) % 2]?.converge();
    }
    return log;
  }

  it("same state however the log is batched, per event, by the bulk replayer, or from a snapshot plus tail", () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 3, maxLength: 20 }), fc.array(fc.nat(), { maxLength: 6 }), (ops, rawCuts) => {
        const log = history(ops);
        const n = log.entries.length;
        const whole = JSON.stringify(replay(log.entries));
        const cuts = [...new Set(rawCuts.map((c) => c % (n + 1)))].sort((a, b) => a - b);
        let batched = emptyLogState();
        let from = 0;
        for (const cut of [...cuts, n]) {
          batched = replay(log.entries.slice(from, cut), batched);
          from = cut;
        }
        let perEvent = emptyLogState();
        for (const e of log.entries) perEvent = replay([e], perEvent);
        const bulk = new LogReplayer(emptyLogState());
        bulk.apply(decodeLogEntries(log.entries, ignore));
        const at = cuts[0] ?? Math.floor(n / 2);
        const snap = decodeSnapshot(encodeSnapshot(replay(log.entries.slice(0, at)))).state;
        expect(JSON.stringify(batched)).toBe(whole);
        expect(JSON.stringify(perEvent)).toBe(whole);
        expect(JSON.stringify(bulk.result())).toBe(whole);
        expect(JSON.stringify(replay(log.entries.slice(at), snap))).toBe(whole);
        expect(JSON.stringify(replay(log.entries.flatMap((e) => [e, e])))).toBe(whole);
      }),
      { numRuns: 100 },
    );
  }, 60_000);
});

describe("VIPs come from allocations", () => {
  it("a shared IP is one VIP with both Services; a deleted Service's IP is not announced", () => {
    const log = new MemoryLog();
    const r = new Replica(log, "a");
    const a = service("a", { sharingKey: "k", ports: [{ port: 80, protocol: "TCP" }], externalTrafficPolicy: "Local", selector: { app: "x" } });
    const b = service("b", { sharingKey: "k", ports: [{ port: 443, protocol: "TCP" }], externalTrafficPolicy: "Local", selector: { app: "x" } });
    log.applyConfig(clusterConfig({ pools: [pool("p", ["198.18.0.0/30"])], services: [a, b, service("c")] }));
    r.converge();
    expect(vipCatalog(r.state).map((e) => [e.vip, e.services.map((s) => s.name), e.pool?.name])).toEqual([
      ["198.18.0.0", ["a", "b"], "p"],
      ["198.18.0.1", ["c"], "p"],
    ]);
    // c deleted: the VIP goes at once, even before its release lands.
    log.applyConfig(clusterConfig({ pools: [pool("p", ["198.18.0.0/30"])], services: [a, b] }));
    r.catchUp();
    expect(vipCatalog(r.state).map((e) => e.vip)).toEqual(["198.18.0.0"]);
  });

  it("an IP a pool edit no longer covers stays announced through the pool it came from", () => {
    const log = new MemoryLog();
    const r = new Replica(log, "a");
    log.applyConfig(clusterConfig({ pools: [pool("p", ["198.18.0.0/30"])], services: [service("a"), service("b")] }));
    r.converge();
    log.applyConfig(clusterConfig({ pools: [pool("p", ["198.18.0.0/32"])], services: [service("a"), service("b")] }));
    r.converge();
    expect(vipCatalog(r.state).map((e) => [e.vip, e.pool?.name])).toEqual([["198.18.0.0", "p"], ["198.18.0.1", "p"]]);
    expect(encodeEvent(allocated("198.18.0.1", "ns/a")).length).toBeGreaterThan(0);
  });
});

describe("the replay explains allocations", () => {
  it("shows each claim, refusal and release with its reason and allocator", () => {
    const log = new MemoryLog();
    const r = new Replica(log, "alloc-1");
    log.applyConfig(clusterConfig({ pools: [pool("p", ["198.18.0.0/30"])], services: [service("a"), service("b")] }));
    r.converge();
    log.append(subjects.ipClaim("198.18.0.0", "t"), allocated("198.18.0.0", "default/c"));
    log.applyConfig(clusterConfig({ pools: [pool("p", ["198.18.0.0/30"])], services: [service("b")] }));
    r.converge();
    const { rows } = buildTimeline(decodeLogEntries(log.entries, ignore));
    expect(rows.map((row) => row.kind)).toEqual(["config-applied", "ip-allocated", "ip-allocated", "ip-rejected", "config-applied", "ip-released"]);
    const text = formatTimeline(rows, "198.18.0.0");
    expect(text).toMatch(/198\.18\.0\.0  allocated to default\/a from pool p: auto-assign \[by alloc-1\]/);
    expect(text).toMatch(/allocate for default\/c refused: held by default\/a/);
    expect(text).toMatch(/released by default\/a: service-deleted: the Service is gone/);
  });
});
