import { describe, expect, it } from "vitest";
import { subjects } from "../../src/events/subjects.js";
import { claimEvent } from "../../src/projections/ipam/claims.js";
import { planIpam } from "../../src/projections/ipam/plan.js";
import { vipCatalog } from "../../src/projections/vipCatalog.js";
import { labConfig, SimCluster } from "../support/simCluster.js";

// The catalog of VIPs is rebuilt whenever allocations change; at 10,000 VIPs a whole rebuild took ~180 ms, and the
// speakers rebuilt it for every batch of allocations while the allocators filled the pool. An entry is now made
// again only for the IPs whose allocation record changed.

describe("the VIP catalog after a batch of allocations", () => {
  it("keeps the entries of the IPs the batch did not touch, and equals a catalog built from scratch", () => {
    const sim = new SimCluster();
    sim.append("EVENTS", subjects.config("file"), { type: "ConfigApplied", data: { source: "file", hash: "h", config: labConfig(30) } });
    const actions = planIpam(sim.view.log, { lbClass: null }).actions;
    expect(actions).toHaveLength(30);
    const allocate = (from: number, to: number): void => {
      const ctx = { allocator: "sim", configHash: "h", observedSeq: sim.view.log.seq, lbClass: null };
      for (const a of actions.slice(from, to)) sim.append("EVENTS", subjects.ipClaim(a.ip, "sim"), claimEvent(a, ctx), a.expectedSubjectSeq);
    };
    allocate(0, 20);
    const first = vipCatalog(sim.view.log);
    expect(first).toHaveLength(20);
    allocate(20, 30);
    const second = vipCatalog(sim.view.log);
    expect(second).toHaveLength(30);
    expect(first.every((e) => second.includes(e))).toBe(true); // the same objects: not made again
    expect(second).toEqual(vipCatalog(structuredClone(sim.view.log))); // no record shared with the memo: from scratch
  });
});
