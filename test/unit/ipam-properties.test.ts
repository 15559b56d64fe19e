import { describe, expect, it } from "vitest";
import fc from "fast-check";
import type { ClusterConfig, ServiceConfig } from "../../src/config/types.js";
import { decodeSnapshot, encodeSnapshot } from "../../src/projections/snapshot.js";
import { canShare } from "../../src/projections/ipam/sharing.js";
import { heldServices, ipRecords } from "../../src/projections/ipam/state.js";
import type { LogState } from "../../src/projections/logState.js";
import { applyOp, op, poolsOf, type Op } from "../support/ipamArbitraries.js";
import { clusterConfig } from "../support/ipamFixtures.js";
import { allocationsOf, MemoryLog, Replica } from "../support/ipamLog.js";
import { ReferenceAllocator } from "../support/ipamReference.js";

// The optimised allocator (planner + projection + compare-and-set log) against the naive reference, over random
// sequences of pool edits, Service creates/updates/deletes and allocator restarts.

const keyOf = (s: ServiceConfig): string => `${s.namespace}/${s.name}`;
const NAMESPACES = [{ name: "a", labels: { team: "a" } }, { name: "b", labels: {} }];

function baseConfig(): ClusterConfig {
  return clusterConfig({ pools: poolsOf({ a: "198.18.0.0/29", buggy: false, b: true, c: 1, d: true }), namespaces: NAMESPACES });
}

/** Invariants of any allocation state: co-holders may share, at most one IP per family per Service. */
function checkInvariants(state: LogState): void {
  for (const [ip, record] of ipRecords(state.ipam)) {
    for (const [i, a] of record.holders.entries()) {
      for (const b of record.holders.slice(i + 1)) expect(canShare(a.sharing, b.sharing), `${ip}: ${a.service} and ${b.service}`).toBe(true);
    }
  }
  for (const [svc, ips] of heldServices(state.ipam)) {
    expect(new Set(ips.map((ip) => ip.includes(":"))).size, svc).toBe(ips.length);
  }
}

/** Services whose configuration this edit did not touch keep every IP they had. */
function checkStable(before: Record<string, string[]>, after: Record<string, string[]>, prev: ClusterConfig, next: ClusterConfig): void {
  const same = (k: string): boolean => JSON.stringify(prev.services.find((s) => keyOf(s) === k)) === JSON.stringify(next.services.find((s) => keyOf(s) === k));
  for (const [k, ips] of Object.entries(before)) {
    if (!same(k) || !next.services.some((s) => keyOf(s) === k)) continue;
    for (const ip of ips) expect(after[k] ?? [], `${k} lost ${ip} though only others changed`).toContain(ip);
  }
}

function restarted(log: MemoryLog, old: Replica, fromSnapshot: boolean): Replica {
  const fresh = new Replica(log, `${old.name}'`);
  if (fromSnapshot) {
    const cut = Math.floor(log.entries.length / 2);
    const head = new Replica(log, "head");
    head.catchUp(cut);
    fresh.state = decodeSnapshot(encodeSnapshot(head.state)).state;
  }
  fresh.catchUp();
  return fresh;
}

describe("IPAM against a naive reference", () => {
  it("gives the reference's allocations after every edit, keeps untouched Services' IPs, and a restart moves nothing", () => {
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), (ops: Op[]) => {
        const log = new MemoryLog();
        let replica = new Replica(log, "r");
        const reference = new ReferenceAllocator();
        let config = baseConfig();
        log.applyConfig(config);
        replica.converge();
        reference.converge(config);
        for (const o of ops) {
          const before = allocationsOf(replica.state);
          const prev = config;
          config = applyOp(config, o);
          if (o.kind === "restart") {
            const length = log.entries.length;
            replica = restarted(log, replica, o.fromSnapshot);
            replica.converge();
            expect(log.entries.length, "a restarted allocator published claims").toBe(length);
          } else {
            log.applyConfig(config);
            replica.converge();
          }
          reference.converge(config);
          checkInvariants(replica.state);
          expect(allocationsOf(replica.state)).toEqual(reference.allocations());
          checkStable(before, allocationsOf(replica.state), prev, config);
          expect(replica.state.ipam.rejected).toBe(0);
        }
      }),
      { numRuns: 300 },
    );
  }, 60_000);

  it("a lost log is rebuilt from Service status: every Service keeps its IPs, as the reference would", () => {
    fc.assert(
      fc.property(fc.array(op.filter((o) => o.kind !== "pools"), { minLength: 1, maxLength: 20 }), (ops: Op[]) => {
        const log = new MemoryLog();
        const replica = new Replica(log, "r");
        let config = baseConfig();
        for (const o of ops) config = applyOp(config, o);
        log.applyConfig(config);
        replica.converge();
        const held = allocationsOf(replica.state);
        // The log is gone; Services still carry what they hold in their status.
        const withStatus: ClusterConfig = { ...config, services: config.services.map((s) => ({ ...s, statusIps: held[keyOf(s)] ?? [] })) };
        const lost = new MemoryLog();
        const rebuilt = new Replica(lost, "r2");
        lost.applyConfig(withStatus);
        rebuilt.converge();
        expect(allocationsOf(rebuilt.state)).toEqual(held);
        const reference = new ReferenceAllocator();
        reference.converge(withStatus);
        expect(reference.allocations()).toEqual(held);
      }),
      { numRuns: 200 },
    );
  }, 60_000);
});
