import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { ClusterConfig, ServiceConfig } from "../../src/config/types.js";
import { decodeLogEntries } from "../../src/events/entries.js";
import type { LogEvent } from "../../src/events/types.js";
import { subjects } from "../../src/events/subjects.js";
import { applyLogBatch } from "../../src/projections/batch.js";
import { canShare } from "../../src/projections/ipam/sharing.js";
import { heldServices, ipRecords } from "../../src/projections/ipam/state.js";
import { emptyLogState, type LogState } from "../../src/projections/logState.js";
import { applyOp, op, poolsOf, type Op } from "../support/ipamArbitraries.js";
import { clusterConfig, service } from "../support/ipamFixtures.js";
import { MemoryLog, Replica } from "../support/ipamLog.js";

// Several allocator replicas racing on one compare-and-set log, each acting on its own lagging view, some
// publishing only part of a plan (a crash mid-way), some restarted, while the configuration keeps changing.

type Step = { kind: "edit"; op: Op } | { kind: "act"; replica: number; lag: number; partial: boolean } | { kind: "restart"; replica: number };

const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 3, arbitrary: op.map((o): Step => ({ kind: "edit", op: o })) },
  { weight: 6, arbitrary: fc.record({ replica: fc.nat(2), lag: fc.double({ min: 0, max: 1, noNaN: true }), partial: fc.boolean() }).map((s): Step => ({ kind: "act", ...s })) },
  { weight: 1, arbitrary: fc.nat(2).map((replica): Step => ({ kind: "restart", replica })) },
);

const keyOf = (s: ServiceConfig): string => `${s.namespace}/${s.name}`;

function replay(log: MemoryLog): { state: LogState; events: { seq: number; event: LogEvent | null }[] } {
  const entries = decodeLogEntries(log.entries, () => undefined);
  return { state: applyLogBatch(emptyLogState(), entries), events: entries.map((e) => ({ seq: e.meta.seq, event: e.event })) };
}

function checkInvariants(state: LogState): void {
  for (const [ip, record] of ipRecords(state.ipam)) {
    for (const [i, a] of record.holders.entries()) {
      for (const b of record.holders.slice(i + 1)) expect(canShare(a.sharing, b.sharing), `${ip} held by ${a.service} and ${b.service}`).toBe(true);
    }
  }
  for (const [svc, ips] of heldServices(state.ipam)) expect(new Set(ips.map((ip) => ip.includes(":"))).size, svc).toBe(ips.length);
}

/**
 * Every accepted release was the Service's own doing: between the view its allocation was decided from and the
 * view the release was decided from, some configuration changed (or removed) that Service.
 */
function checkReleasesJustified(events: { seq: number; event: LogEvent | null }[]): void {
  const configs: { seq: number; services: Map<string, string> }[] = [];
  const holds = new Map<string, number>();
  const at = (seq: number): Map<string, string> => [...configs].reverse().find((c) => c.seq <= seq)?.services ?? new Map();
  let state = emptyLogState();
  for (const { seq, event } of events) {
    const rejectedBefore = state.ipam.rejected;
    if (event) state = applyLogBatch(state, [{ meta: { stream: "EVENTS", seq, time: seq, subject: subjectOf(event) }, event }]);
    if (!event || state.ipam.rejected > rejectedBefore) continue;
    if (event.type === "ConfigApplied") configs.push({ seq, services: new Map(event.data.config.services.map((s) => [keyOf(s), JSON.stringify(s)])) });
    if (event.type === "IpAllocated" && event.data.reason !== "sharing-updated") holds.set(`${event.data.ip}|${event.data.service}`, event.data.evidence.observedSeq);
    if (event.type !== "IpReleased") continue;
    const decided = holds.get(`${event.data.ip}|${event.data.service}`) ?? 0;
    const original = at(decided).get(event.data.service);
    const edited = configs.some((c) => c.seq > decided && c.seq <= event.data.evidence.observedSeq && c.services.get(event.data.service) !== original);
    expect(edited, `${event.data.service} lost ${event.data.ip} (${event.data.reason}) without an edit of its own`).toBe(true);
  }
}

function subjectOf(event: LogEvent): string {
  if (event.type === "IpAllocated" || event.type === "IpReleased") return subjects.ipClaim(event.data.ip, event.data.evidence.allocator);
  return subjects.config("file");
}

function settle(replicas: Replica[]): void {
  for (let round = 0; round < 1_000; round++) {
    let acted = 0;
    for (const r of replicas) {
      r.catchUp();
      acted += r.act();
    }
    if (acted === 0 && replicas.every((r) => (r.catchUp(), r.plan().actions.length === 0))) return;
  }
  throw new Error("replicas did not settle");
}

describe("racing allocator replicas", () => {
  it("never give one IP to two Services that may not share it, never take an IP without the Service's own edit, and settle", () => {
    let races = 0;
    fc.assert(
      fc.property(fc.array(step, { minLength: 5, maxLength: 60, size: "large" }), (steps: Step[]) => {
        const log = new MemoryLog();
        const replicas = [0, 1, 2].map((i) => new Replica(log, `r${i}`));
        const initial = ["a/s0", "a/s1", "b/s3", "b/s4", "b/s5"].map((k, i) => service(k, { sharingKey: i % 2 === 0 ? "k1" : null, ports: [{ port: 80 + i, protocol: "TCP" }] }));
        let config: ClusterConfig = clusterConfig({ pools: poolsOf({ a: "198.18.0.0/30", buggy: false, b: true, c: 1, d: true }), namespaces: [{ name: "a", labels: {} }], services: initial });
        log.applyConfig(config);
        for (const s of steps) {
          if (s.kind === "edit") {
            config = applyOp(config, s.op);
            log.applyConfig(config);
          } else if (s.kind === "restart") {
            replicas[s.replica] = new Replica(log, `r${s.replica}-${log.entries.length}`);
          } else {
            const r = replicas[s.replica] as Replica;
            r.catchUp(r.state.seq + Math.floor((log.entries.length - r.state.seq) * s.lag));
            const plan = r.plan();
            r.act(s.partial ? { ...plan, actions: plan.actions.slice(0, Math.ceil(plan.actions.length / 2)) } : plan);
          }
          checkInvariants(replay(log).state);
        }
        settle(replicas);
        const { state, events } = replay(log);
        checkInvariants(state);
        checkReleasesJustified(events);
        races += state.ipam.rejected + replicas.reduce((n, r) => n + r.conflicts, 0);
        // Settled: a fresh replica reading the whole log has nothing to do.
        const fresh = new Replica(log, "fresh");
        fresh.catchUp();
        expect(fresh.plan().actions).toEqual([]);
      }),
      { numRuns: 300 },
    );
    expect(races).toBeGreaterThan(0);
  }, 60_000);
});
