import { describe, expect, it } from "vitest";
import { parseManifests } from "../../src/config/parseManifests.js";
import { labConfig, SimCluster } from "../support/simCluster.js";

// Node conditions in eligibility (MetalLB's meaning): a node whose Ready condition is not True, or whose
// NetworkUnavailable condition is True, does not qualify for any VIP.

describe("node conditions", () => {
  it.each([
    { name: "not Ready", edit: { ready: false } },
    { name: "NetworkUnavailable", edit: { networkUnavailable: true } },
  ])("a node $name owns nothing; the others take its VIPs", ({ edit }) => {
    const sim = new SimCluster();
    for (const n of ["node1", "node2", "node3"]) sim.addNode(n);
    const config = labConfig(6, ["node1", "node2", "node3"]);
    config.nodes = config.nodes.map((n) => (n.name === "node1" ? { ...n, ...edit } : n));
    sim.applyConfig(config);
    sim.run(1_000);
    const owners = Object.values(sim.owners());
    expect(owners).toHaveLength(6);
    expect(owners).not.toContain("node1");
    expect(owners.every((o) => o !== null)).toBe(true);
  });

  it("reads the conditions from a Node's status; no status means ready", () => {
    const config = parseManifests(`
kind: Node
metadata: { name: a }
status: { conditions: [{ type: Ready, status: "False" }, { type: NetworkUnavailable, status: "True" }] }
---
kind: Node
metadata: { name: b }
`);
    expect(config.nodes).toEqual([
      { name: "a", labels: {}, ready: false, networkUnavailable: true },
      { name: "b", labels: {}, ready: true, networkUnavailable: false },
    ]);
  });
});
