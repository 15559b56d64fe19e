import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ChangePacing, UNFINISHED_CHANGE_PATIENCE_MS } from "../../src/adapters/nats/configChange.js";
import { formatRow } from "../../src/cli/replayFormat.js";
import { applyChanges, canonicalConfig, diffConfigs, EMPTY_CLUSTER_CONFIG, objectsOf } from "../../src/config/configObjects.js";
import type { ClusterConfig, L2AdvertisementConfig } from "../../src/config/types.js";
import { decodeEvent, encodeEvent } from "../../src/events/codec.js";
import { configChangeMessages } from "../../src/events/configChangeEvents.js";
import { decodeLogEntries, type RawEntry } from "../../src/events/entries.js";
import { MAX_EVENT_BYTES } from "../../src/events/limits.js";
import { subjects } from "../../src/events/subjects.js";
import type { DomainEvent, LogEvent } from "../../src/events/types.js";
import { applyLogBatch, LogReplayer } from "../../src/projections/batch.js";
import { ipRecord } from "../../src/projections/ipam/state.js";
import { emptyLogState, type LogState } from "../../src/projections/logState.js";
import { decodeSnapshot, encodeSnapshot } from "../../src/projections/snapshot.js";
import { buildTimeline } from "../../src/projections/timeline.js";
import { clusterConfig, pool, service } from "../support/ipamFixtures.js";

// Configuration as per-object events (design.md, "Configuration as per-object events"): a change is the objects that
// differ, applied by the projection as one epoch; the result is the configuration the old single message carried.

const ignore = (): void => undefined;

/** A log of EVENTS messages with sequences, keeping each source's chain position and applied configuration as a publisher would. */
class ConfigLog {
  readonly entries: RawEntry[] = [];
  private readonly chain = new Map<string, number>();
  private readonly applied = new Map<string, ClusterConfig>();

  append(subject: string, event: DomainEvent | Uint8Array): number {
    const seq = this.entries.length + 1;
    this.entries.push({ meta: { stream: "EVENTS", seq, time: 1_000 + seq, subject }, data: event instanceof Uint8Array ? event : encodeEvent(event) });
    return seq;
  }

  /** The per-object messages of `source`'s change to `next` (not yet appended). */
  messages(source: string, next: ClusterConfig, hash: string) {
    return configChangeMessages(source, this.applied.get(source) ?? null, next, hash, hash, this.chain.get(source) ?? 0);
  }

  /** Appends one message of a change; the caller appends them in order. */
  appendObject(source: string, m: ReturnType<ConfigLog["messages"]>[number], next: ClusterConfig): void {
    this.chain.set(source, this.append(m.subject, m.event));
    if (m.event.data.epoch.index === m.event.data.epoch.count - 1) this.applied.set(source, next);
  }

  change(source: string, next: ClusterConfig, hash: string): number {
    const ms = this.messages(source, next, hash);
    for (const m of ms) this.appendObject(source, m, next);
    return ms.length;
  }

  whole(source: string, config: ClusterConfig, hash: string): void {
    this.append(subjects.config(source), { type: "ConfigApplied", data: { source, hash, config } });
    this.applied.set(source, config);
  }

  state(upTo = this.entries.length): LogState {
    return applyLogBatch(emptyLogState(), decodeLogEntries(this.entries.slice(0, upTo), ignore));
  }
}

const POOLS = [pool("blue", ["198.18.10.0/24"]), pool("green", ["198.18.11.0/24"]), pool("red", ["198.18.12.0/28", "198.18.12.64-198.18.12.70"])];
const adv = (name: string, pools: string[]): L2AdvertisementConfig => ({ name, ipAddressPools: pools, ipAddressPoolSelectors: [], nodeSelectors: [], serviceSelectors: [], preferredNodeSelectors: [], interfaces: [] });

const configArb: fc.Arbitrary<ClusterConfig> = fc
  .record({
    pools: fc.subarray(POOLS),
    autoAssign: fc.boolean(),
    services: fc.uniqueArray(fc.record({ name: fc.constantFrom("a", "b", "c", "d", "e"), ns: fc.constantFrom("x", "y"), pool: fc.constantFrom(null, "blue", "red"), ready: fc.subarray(["n1", "n2", "n3"]) }), { selector: (s) => `${s.ns}/${s.name}`, maxLength: 6 }),
    nodes: fc.subarray(["n1", "n2", "n3"]),
    label: fc.constantFrom("a", "b"),
    ads: fc.subarray(["l2-blue", "l2-all"]),
  })
  .map((r) =>
    clusterConfig({
      pools: r.pools.map((p) => ({ ...p, autoAssign: p.name === "red" ? r.autoAssign : true })),
      services: r.services.map((s) => service(`${s.ns}/${s.name}`, { requestedPool: s.pool, readyEndpointNodes: s.ready })),
      nodes: r.nodes.map((name) => ({ name, labels: { zone: r.label }, ready: true, networkUnavailable: false })),
      l2Advertisements: r.ads.map((name) => adv(name, name === "l2-blue" ? ["blue"] : [])),
    }),
  );

describe("a configuration as objects", () => {
  it("diffs to nothing against itself in any order, and applying its diff to another gives it in name order", () => {
    fc.assert(
      fc.property(configArb, configArb, (a, b) => {
        expect(diffConfigs(a, { ...a, services: [...a.services].reverse(), pools: [...a.pools].reverse() })).toEqual([]);
        expect(applyChanges(canonicalConfig(a), diffConfigs(a, b))).toEqual(canonicalConfig(b));
        expect(objectsOf(applyChanges(EMPTY_CLUSTER_CONFIG, diffConfigs(null, b))).length).toBe(objectsOf(b).length);
      }),
    );
  });

  it("applies many changes at once as it applies them one by one", () => {
    const services = Array.from({ length: 40 }, (_, i) => service(`ns/s${String(i).padStart(2, "0")}`));
    const many = applyChanges(EMPTY_CLUSTER_CONFIG, diffConfigs(null, clusterConfig({ services })));
    const oneByOne = services.reduce((c, s) => applyChanges(c, diffConfigs(c, { ...c, services: [...c.services, s] })), EMPTY_CLUSTER_CONFIG);
    expect(many).toEqual(oneByOne);
  });
});

describe("per-object events give the state the single message gave (property)", () => {
  it("any sequence of configurations of two sources, in any interleaving that keeps each source's order", () => {
    const plan = fc.record({
      file: fc.array(configArb, { minLength: 1, maxLength: 4 }),
      kube: fc.array(configArb, { minLength: 1, maxLength: 4 }),
      schedule: fc.array(fc.boolean(), { minLength: 200, maxLength: 200 }),
    });
    fc.assert(
      fc.property(plan, ({ file, kube, schedule }) => {
        const perObject = new ConfigLog();
        const whole = new ConfigLog();
        const queues = { file: [...file], kubernetes: [...kube] };
        const inFlight: Record<string, { ms: ReturnType<ConfigLog["messages"]>; next: ClusterConfig } | null> = { file: null, kubernetes: null };
        let turn = 0;
        const step = (source: "file" | "kubernetes"): boolean => {
          let f = inFlight[source];
          if (!f) {
            const next = queues[source].shift();
            if (!next) return false;
            const ms = perObject.messages(source, next, `${source}-${turn}`);
            if (ms.length === 0) return true;
            f = inFlight[source] = { ms, next };
          }
          const m = f.ms.shift();
          if (m) perObject.appendObject(source, m, f.next);
          if (f.ms.length === 0) {
            whole.whole(source, f.next, `${source}-${turn}`); // the old single message, at the moment the change is applied
            inFlight[source] = null;
          }
          return true;
        };
        for (const pick of schedule) {
          turn++;
          if (!step(pick ? "file" : "kubernetes")) step(pick ? "kubernetes" : "file");
        }
        while (step("file") || step("kubernetes")) turn++;
        const got = perObject.state();
        const want = whole.state();
        expect(got.config === null).toBe(want.config === null);
        if (got.config && want.config) {
          expect(got.config.source).toBe(want.config.source);
          expect(got.config.config).toEqual(canonicalConfig(want.config.config));
        }
        for (const source of ["file", "kubernetes"]) {
          const mine = got.configSources[source];
          const theirs = want.configSources[source];
          if (theirs) expect(mine?.config).toEqual(canonicalConfig(theirs.config));
        }
        expect(got.refused).toEqual({});
        // Batched, per-event and the bulk replayer agree.
        const perEvent = perObject.entries.reduce((s, e) => applyLogBatch(s, decodeLogEntries([e], ignore)), emptyLogState());
        expect(perEvent).toEqual(got);
        const replayer = new LogReplayer(emptyLogState());
        replayer.apply(decodeLogEntries(perObject.entries, ignore));
        expect(JSON.parse(JSON.stringify(replayer.result()))).toEqual(JSON.parse(JSON.stringify(got)));
      }),
      { numRuns: 60 },
    );
  });
});

describe("a change spanning objects is applied whole (epochs)", () => {
  const before = clusterConfig({ pools: [pool("old", ["198.18.20.0/24"])], services: [service("ns/web", { requestedPool: "old" })] });
  const renamed = clusterConfig({ pools: [pool("new", ["198.18.20.0/24"])], services: [service("ns/web", { requestedPool: "new" })] });

  it("a pool renamed (delete + create + the Service that asks for it): readers see the old configuration until the last object", () => {
    const log = new ConfigLog();
    log.change("file", before, "h1");
    const ms = log.messages("file", renamed, "h2");
    expect(ms.map((m) => `${m.event.type} ${m.subject}`)).toEqual([
      "ConfigObjectDeleted vipmesh.ev.cfg.file.pool.old",
      "ConfigObjectChanged vipmesh.ev.cfg.file.pool.new",
      "ConfigObjectChanged vipmesh.ev.cfg.file.service.ns~web",
    ]);
    for (const [i, m] of ms.entries()) {
      log.appendObject("file", m, renamed);
      const s = log.state();
      expect(s.config?.config.pools.map((p) => p.name), `after object ${i + 1}`).toEqual(i < ms.length - 1 ? ["old"] : ["new"]);
      expect(s.config?.hash).toBe(i < ms.length - 1 ? "h1" : "h2");
    }
  });

  it("an allocation stored in the middle of a change is judged against the configuration in force, not the half-applied one", () => {
    const log = new ConfigLog();
    log.change("file", before, "h1");
    const [first, ...rest] = log.messages("file", clusterConfig({ pools: [pool("new", ["198.18.21.0/24"])], services: [service("ns/web")] }), "h2");
    log.appendObject("file", first as NonNullable<typeof first>, before);
    const alloc = (ip: string): LogEvent => ({ type: "IpAllocated", data: { ip, service: "ns/web", pool: "old", reason: "auto-assign", sharing: { key: null, backendKey: "", ports: ["TCP/80"] }, lbClass: null, evidence: { allocator: "a1", configHash: "h1", observedSeq: 1 } } });
    log.append(subjects.ipClaim("198.18.20.1", "a1"), alloc("198.18.20.1"));
    for (const m of rest) log.appendObject("file", m, before);
    log.append(subjects.ipClaim("198.18.20.2", "a1"), alloc("198.18.20.2"));
    const s = log.state();
    expect(ipRecord(s.ipam, "198.18.20.1")?.holders.map((h) => h.service)).toEqual(["ns/web"]);
    expect(s.refused["ip-outside-pools"]).toBe(1); // the second: the new pool no longer holds it
  });

  it("an unfinished change is discarded when the next one starts, and the next one applies on the last good objects", () => {
    const log = new ConfigLog();
    log.change("file", before, "h1");
    const half = log.messages("file", renamed, "h2");
    log.appendObject("file", half[0] as NonNullable<(typeof half)[number]>, before); // its publisher died after one object
    const next = clusterConfig({ pools: [pool("old", ["198.18.20.0/24"])], services: [service("ns/web", { requestedPool: "old" }), service("ns/api")] });
    expect(log.change("file", next, "h3")).toBe(1); // decided from the objects applied, at the chain's last sequence
    const s = log.state();
    expect(s.config?.config.services.map((x) => x.name)).toEqual(["api", "web"]);
    expect(s.config?.config.pools.map((p) => p.name)).toEqual(["old"]);
    expect(s.configSources["file"]?.abandonedEpochs).toBe(1);
    expect(s.refused).toEqual({});
  });

  it.each([
    ["out of order", (ms: ReturnType<ConfigLog["messages"]>) => [ms[1], ms[0], ms[2]], /object 2 of 3/],
    ["a change starting after another sequence than the chain's last", (ms: ReturnType<ConfigLog["messages"]>) => ms.map((m) => ({ ...m, event: { ...m.event, data: { ...m.event.data, epoch: { ...m.event.data.epoch, after: 99 } } } })), /after sequence 99/],
  ] as const)("%s: refused as config-epoch-broken, nothing of it applied, replay shows why", (_name, reorder, why) => {
    const log = new ConfigLog();
    log.change("file", before, "h1");
    for (const m of reorder(log.messages("file", renamed, "h2"))) if (m) log.append(m.subject, m.event as LogEvent);
    const s = log.state();
    expect(s.config?.hash).toBe("h1");
    expect(s.refused["config-epoch-broken"]).toBeGreaterThan(0);
    const rows = buildTimeline(decodeLogEntries(log.entries, ignore)).rows.filter((r) => r.kind === "refused");
    expect(rows.map(formatRow).join("\n")).toMatch(why);
  });
});

describe("meaning, per object and per change", () => {
  it("a forged pool of 0.0.0.0/0 is refused as config-invalid; its change does not apply; the last good objects keep serving", () => {
    const log = new ConfigLog();
    const good = clusterConfig({ pools: [pool("p", ["198.18.30.0/24"])] });
    log.change("file", good, "h1");
    log.change("file", clusterConfig({ pools: [pool("p", ["198.18.30.0/24"]), pool("all", ["0.0.0.0/0"])], services: [service("ns/x")] }), "evil");
    const s = log.state();
    expect(s.config?.hash).toBe("h1");
    expect(s.config?.config).toEqual(good);
    expect(s.refused["config-invalid"]).toBe(1);
    expect(s.refused["config-epoch-broken"]).toBe(1); // the Service after it no longer continues a change
    const refused = buildTimeline(decodeLogEntries(log.entries, ignore)).rows.filter((r) => r.kind === "refused").map(formatRow);
    expect(refused[0]).toMatch(/ConfigObjectChanged on vipmesh.ev.cfg.file.pool.all refused \(config-invalid\): IPAddressPool\/all: spec.addresses\[0\]: 0.0.0.0\/0 includes/);
  });

  it("objects valid alone but not together (overlapping pools) are refused when the change would apply", () => {
    const log = new ConfigLog();
    log.change("file", clusterConfig({ pools: [pool("a", ["198.18.31.0/24"])] }), "h1");
    log.change("file", clusterConfig({ pools: [pool("a", ["198.18.31.0/24"]), pool("b", ["198.18.31.128/25"])] }), "h2");
    const s = log.state();
    expect(s.config?.hash).toBe("h1");
    expect(s.lastRefusal).toMatchObject({ reason: "config-invalid", detail: expect.stringMatching(/change h2 not applied: IPAddressPool\/b: .* overlaps/) });
  });

  it("an object whose payload names another source, kind or name than its subject is refused for identity", () => {
    const log = new ConfigLog();
    const [m] = log.messages("file", clusterConfig({ pools: [pool("p", ["198.18.32.0/24"])] }), "h1");
    if (!m) throw new Error("no message");
    log.append(subjects.configObject("kubernetes", "pool", "p"), m.event);
    log.append(subjects.configObject("file", "service", "p"), m.event);
    log.append(subjects.configObject("file", "pool", "q"), m.event);
    const s = log.state();
    expect(s.refusedIdentity).toBe(3);
    expect(s.config).toBeNull();
  });

  it("an event on a configuration subject over 64 KiB is too large before it is parsed; a whole configuration of an old log keeps 1 MiB", () => {
    const big = service("ns/big", { readyEndpointNodes: Array.from({ length: 5_000 }, (_, i) => `node-${i}.example.internal`) });
    const [m] = configChangeMessages("kubernetes", null, clusterConfig({ services: [big] }), "h", "1.1", 0);
    if (!m) throw new Error("no message");
    const bytes = encodeEvent(m.event);
    expect(bytes.length).toBeGreaterThan(MAX_EVENT_BYTES);
    expect(decodeEvent(bytes, { stream: "EVENTS", seq: 1, time: 1, subject: m.subject })).toMatchObject({ ok: false, invalid: { reason: "too-large" } });
    const whole = encodeEvent({ type: "ConfigApplied", data: { source: "kubernetes", hash: "h", config: clusterConfig({ services: [big] }) } });
    expect(decodeEvent(whole, { stream: "EVENTS", seq: 1, time: 1, subject: subjects.config("kubernetes") }).ok).toBe(true);
  });

  it("a change of 10 and of 10,000 Services costs its own size: one Service edited is one small message", () => {
    for (const n of [10, 10_000]) {
      const services = Array.from({ length: n }, (_, i) => service(`ns/s${i}`, { readyEndpointNodes: ["n1", "n2"] }));
      const a = clusterConfig({ pools: [pool("p", ["198.18.0.0/16"])], services });
      const b = { ...a, services: a.services.map((s, i) => (i === 3 ? { ...s, readyEndpointNodes: ["n1"] } : s)) };
      const ms = configChangeMessages("kubernetes", a, b, "h2", "2.2", 5);
      expect(ms).toHaveLength(1);
      expect(encodeEvent((ms[0] as (typeof ms)[number]).event).length).toBeLessThan(1_024);
    }
  });
});

describe("old logs: ConfigApplied v1-v6 become their source's objects", () => {
  const v2Config = { pools: [{ name: "lab", addresses: ["198.18.8.0/24"], autoAssign: true, avoidBuggyIPs: false, labels: {}, serviceAllocation: null }], l2Advertisements: [], services: [], nodes: [{ name: "n1", labels: {} }], namespaces: [] };
  const peerV3 = { name: "r", myASN: 64512, peerASN: 64500, dynamicASN: null, peerAddress: "198.18.2.1", sourceAddress: null, peerPort: 179, routerID: null, holdTimeMs: null, keepaliveTimeMs: null, connectTimeMs: null, password: null, ebgpMultiHop: false, nodeSelectors: [], enableGracefulRestart: false, dualStackAddressFamily: false, vrf: null };
  const bgp = (peer: object, extra: object = {}) => ({ ...v2Config, bgp: { peers: [peer], advertisements: [], ...extra } });
  const ref = { from: "peer", namespace: null, name: "r", sha256: "a".repeat(64) };
  // Payloads as each version wrote them (fixtures of the old wire format).
  const OLD: [number, object, string[]][] = [
    [1, { pools: [{ name: "lab", addresses: ["198.18.8.0/24"], autoAssign: true, avoidBuggyIPs: false, labels: {} }], l2Advertisements: [], nodes: [], services: [{ namespace: "d", name: "s", ips: ["198.18.8.5"], externalTrafficPolicy: "Cluster", labels: {}, readyEndpointNodes: [] }] }, ["pool/lab", "service/d/s"]],
    [2, v2Config, ["pool/lab", "node/n1"]],
    [3, bgp(peerV3), ["pool/lab", "bgppeer/r", "node/n1"]],
    [4, bgp({ ...peerV3, localASN: 65001 }), ["pool/lab", "bgppeer/r", "node/n1"]],
    [5, bgp({ ...peerV3, bfdProfile: "fast" }, { bfdProfiles: [{ name: "fast", echoMode: false, passiveMode: false }] }), ["pool/lab", "bgppeer/r", "bfdprofile/fast", "node/n1"]],
    [6, bgp({ ...peerV3, password: ref }), ["pool/lab", "bgppeer/r", "node/n1"]],
  ];

  it.each(OLD)("v%i: replayed as before, taken as the source's objects, and the next per-object change is only the difference", (v, config, objects) => {
    const log = new ConfigLog();
    log.append(subjects.config("file"), new TextEncoder().encode(JSON.stringify({ type: "ConfigApplied", v, data: { source: "file", hash: `v${v}`, config } })));
    const s = log.state();
    expect(s.invalidEvents).toBe(0);
    expect(s.config?.hash).toBe(`v${v}`);
    const source = s.configSources["file"];
    expect(source?.hash).toBe(`v${v}`);
    const upcast = source?.config as ClusterConfig;
    expect(objectsOf(upcast).map((i) => `${i.kind}/${i.kind === "service" ? `${i.value.namespace}/${i.value.name}` : i.value.name}`)).toEqual(objects);
    const next = { ...upcast, services: [...upcast.services, service("d/new")] };
    const ms = configChangeMessages("file", upcast, next, "after", "after", source?.chainSeq ?? 0);
    expect(ms.map((m) => m.subject)).toEqual(["vipmesh.ev.cfg.file.service.d~new"]);
    for (const m of ms) log.append(m.subject, m.event);
    const after = log.state();
    expect(after.config?.hash).toBe("after");
    expect(after.config?.config).toEqual(canonicalConfig(next));
  });
});

describe("a publisher's pacing between checks", () => {
  const base = (chainSeq: number, hash: string | null, changeInProgress = false) => ({ chainSeq, hash, config: null, changeInProgress });

  it("waits until its projection has read its last change, or past a race it lost", () => {
    const pacing = new ChangePacing();
    pacing.published(40, { hash: "b", before: "a" });
    expect(pacing.wait(base(39, "a"), 0)).toMatch(/not yet read/);
    expect(pacing.wait(base(40, "b"), 0)).toBeNull();
    pacing.lostRace(base(50, "b"));
    expect(pacing.wait(base(50, "b"), 0)).toMatch(/not yet read/);
    expect(pacing.wait(base(51, "c"), 0)).toBeNull();
  });

  it("does not cut into another publisher's change for 5 s, then starts its own after it", () => {
    const pacing = new ChangePacing();
    expect(pacing.wait(base(7, "a", true), 1_000)).toMatch(/in progress/);
    expect(pacing.wait(base(7, "a", true), 1_000 + UNFINISHED_CHANGE_PATIENCE_MS - 1)).toMatch(/in progress/);
    expect(pacing.wait(base(7, "a", true), 1_000 + UNFINISHED_CHANGE_PATIENCE_MS)).toBeNull();
    expect(pacing.wait(base(8, "a", true), 1_000 + UNFINISHED_CHANGE_PATIENCE_MS)).toMatch(/in progress/); // it moved on: wait again
  });

  it("knows its change was refused when the projection read it and still serves what it served before", () => {
    const pacing = new ChangePacing();
    pacing.published(40, { hash: "b", before: "a" });
    expect(pacing.refused("b", base(40, "a"))).toBe(true);
    expect(pacing.refused("b", base(40, "b"))).toBe(false); // applied
    expect(pacing.refused("b", base(45, "c"))).toBe(false); // another change since: decide again
    expect(pacing.refused("d", base(40, "a"))).toBe(false); // the file changed
  });
});

describe("snapshots hold the configuration once", () => {
  it("the configuration in force is stored as a reference to its source's objects and comes back equal", () => {
    const log = new ConfigLog();
    const services = Array.from({ length: 50 }, (_, i) => service(`ns/s${i}`));
    log.change("file", clusterConfig({ pools: [pool("p", ["198.18.40.0/24"])], services }), "h1");
    const state = log.state();
    const text = encodeSnapshot(state);
    expect(text.split('"name":"s49"').length - 1).toBe(1);
    const decoded = decodeSnapshot(text).state;
    expect(decoded).toEqual(state);
    expect(decoded.config?.config).toBe(decoded.configSources["file"]?.config);
  });

  it("a snapshot naming a source it does not hold is refused", () => {
    const state = { ...emptyLogState(), seq: 1, config: { source: "file", hash: "h", config: "configSources" } };
    const text = JSON.stringify(state);
    const forged = `{"version":7,"seq":1,"messageSha256":null,"stateSha256":"${createHash("sha256").update(text).digest("hex")}","state":${text}}`;
    expect(() => decodeSnapshot(forged)).toThrow(/source file, which it does not hold/);
  });
});
