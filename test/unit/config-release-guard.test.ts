import { describe, expect, it } from "vitest";
import { Reminder } from "../../src/agents/config/reminder.js";
import type { ClusterConfig } from "../../src/config/types.js";
import { describeHeldChange, guardConfigChange, releasesCausedBy } from "../../src/projections/ipam/releaseGuard.js";
import type { IpamState } from "../../src/projections/ipam/state.js";
import { clusterConfig, pool, service } from "../support/ipamFixtures.js";
import { MemoryLog, Replica } from "../support/ipamLog.js";

// The guard on configuration changes (issue 10, item 2): one change that would release more than a share of the
// allocations is held unless forced; releases already due before the change are not counted against it.

const POOL = pool("p", ["198.18.9.0/24"]);
const names = (n: number): string[] => Array.from({ length: n }, (_, i) => `svc${i}`);
const withServices = (keys: string[]): ClusterConfig => clusterConfig({ pools: [POOL], services: keys.map((k) => service(k)) });

/** Allocations made by a real plan over an in-memory log, for `keys`. */
function allocated(keys: string[]): { ipam: IpamState; config: ClusterConfig } {
  const log = new MemoryLog();
  const config = withServices(keys);
  log.applyConfig(config);
  const replica = new Replica(log, "a");
  replica.converge();
  return { ipam: replica.state.ipam, config };
}

const HALF = { maxSharePercent: 50 };

describe("guardConfigChange", () => {
  const { ipam, config } = allocated(names(10));

  it.each([
    ["no Service removed", 10, "apply"],
    ["4 of 10 removed (40%)", 6, "apply"],
    ["5 of 10 removed (50%: not more than the share)", 5, "apply"],
    ["6 of 10 removed (60%)", 4, "hold"],
    ["every Service removed", 0, "hold"],
  ] as const)("%s: %s", (_name, kept, expected) => {
    expect(guardConfigChange(ipam, config, withServices(names(kept)), HALF, false).kind).toBe(expected);
  });

  it("a held change names its counts and the Services it would release", () => {
    const d = guardConfigChange(ipam, config, withServices(names(2)), HALF, false);
    expect(d.kind).toBe("hold");
    if (d.kind !== "hold") return;
    const report = describeHeldChange(d, 3);
    expect(report).toMatchObject({ releases: 8, allocations: 10, maxSharePercent: 50 });
    expect(report.services).toEqual(["default/svc2", "default/svc3", "default/svc4", "… and 5 more"]);
  });

  it("forced, or with the guard at 100%, every change applies", () => {
    expect(guardConfigChange(ipam, config, withServices([]), HALF, true).kind).toBe("apply");
    expect(guardConfigChange(ipam, config, withServices([]), { maxSharePercent: 100 }, false).kind).toBe("apply");
  });

  it("deleting the only Service of a cluster is not held (one release is never mass)", () => {
    const one = allocated(["only"]);
    expect(guardConfigChange(one.ipam, one.config, withServices([]), HALF, false).kind).toBe("apply");
  });

  it("a change of another kind that releases (Services no longer LoadBalancer, another class) counts too", () => {
    const other = clusterConfig({ pools: [POOL], services: names(10).map((k, i) => service(k, i < 7 ? { loadBalancerClass: "other" } : {})) });
    expect(releasesCausedBy(ipam, config, other).map((r) => r.reason)).toEqual(Array(7).fill("class-changed"));
    expect(guardConfigChange(ipam, config, other, HALF, false).kind).toBe("hold");
  });

  it("releases already due under the previous configuration are not this change's", () => {
    const before = withServices(names(3)); // 7 Services already gone, not yet released
    expect(releasesCausedBy(ipam, before, withServices(names(2)))).toEqual([{ service: "default/svc2", ip: "198.18.9.2", reason: "service-deleted" }]);
    expect(guardConfigChange(ipam, before, withServices(names(2)), HALF, false).kind).toBe("apply");
  });
});

describe("Reminder", () => {
  it("says a condition at once, then only every interval while it lasts; a new condition at once", () => {
    const r = new Reminder(60_000);
    expect([r.due("waiting", 0), r.due("waiting", 2_000), r.due("waiting", 59_999), r.due("waiting", 60_000)]).toEqual([true, false, false, true]);
    expect(r.due("file missing", 60_001)).toBe(true);
    r.clear();
    expect(r.due("file missing", 60_002)).toBe(true);
  });
});
