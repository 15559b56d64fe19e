import { describe, expect, it } from "vitest";
import { EXCLUDE_FROM_LB_LABEL, type ClusterConfig } from "../../src/config/types.js";
import { subjects } from "../../src/events/subjects.js";
import { qualify } from "../../src/projections/eligibility.js";
import { ownerHasLeft } from "../../src/projections/logState.js";
import { interfacesOf } from "../../src/projections/nodeFacts.js";
import { planClaims } from "../../src/projections/ownershipPlan.js";
import { DEFAULT_MEMBERSHIP_SETTINGS as SETTINGS } from "../../src/projections/settings.js";
import { vipCatalog } from "../../src/projections/vipCatalog.js";
import { labConfig, SimCluster } from "../support/simCluster.js";

// A plan checks each orphaned VIP once per kind of node (same refusal, same values of the labels advertisements
// select on, same subnets), not once per node: at 10,000 VIPs and 1,000 nodes the per-node check was 10 million
// qualifications per plan. What it gives must be what checking every node gives: the chosen node qualifies, and the
// evidence's count of eligible nodes is the count of nodes that qualify one by one.

/** Twelve nodes of several kinds: zones selected by two advertisements (one on eth1 only), an excluded node, one with its network unavailable, Local Services. */
function mixedConfig(names: string[]): ClusterConfig {
  const config = labConfig(40, names);
  const [ad] = config.l2Advertisements;
  if (!ad) throw new Error("labConfig has an advertisement");
  config.nodes = config.nodes.map((n, i) => ({
    ...n,
    labels: { "kubernetes.io/hostname": n.name, zone: i % 3 === 0 ? "b" : "a", ...(i === 4 ? { [EXCLUDE_FROM_LB_LABEL]: "" } : {}) },
    networkUnavailable: i === 6,
  }));
  config.l2Advertisements = [
    { ...ad, nodeSelectors: [{ matchLabels: { zone: "a" }, matchExpressions: [] }] },
    { ...ad, name: "eth1-only", nodeSelectors: [{ matchLabels: {}, matchExpressions: [{ key: "zone", operator: "In", values: ["b"] }] }], interfaces: ["eth1"] },
  ];
  config.services = config.services.map((s, i) => (i < 4 ? { ...s, externalTrafficPolicy: "Local", readyEndpointNodes: i % 2 === 0 ? ["node3"] : ["node2", "node8"] } : s));
  return config;
}

describe("a plan's takers, grouped by kind", () => {
  it("chooses only nodes that qualify, and counts the same eligible nodes as checking each node", () => {
    const sim = new SimCluster();
    const names = Array.from({ length: 12 }, (_, i) => `node${i + 1}`);
    for (const n of names) sim.addNode(n);
    for (let round = 0; round < 5; round++) sim.beatWithoutClaiming();
    // node9 answers on IPv6 only, node10 on eth1 of the same subnet: other kinds of node.
    sim.append("EVENTS", subjects.nodeLifecycle("node9"), { type: "NodeFactsChanged", data: { node: "node9", incarnation: 1, version: "t", interfaces: [{ name: "eth0", mac: "02:00:00:00:00:09", up: true, answerable: true, routes: [], addresses: ["2001:db8::9/64"] }] } });
    sim.append("EVENTS", subjects.nodeLifecycle("node10"), { type: "NodeFactsChanged", data: { node: "node10", incarnation: 1, version: "t", interfaces: [{ name: "eth1", mac: "02:00:00:00:00:0a", up: true, answerable: true, routes: [], addresses: ["198.18.0.20/16"] }] } });
    sim.applyConfig(mixedConfig(names));
    for (let round = 0; round < 20; round++) sim.beatWithoutClaiming();
    const { log, members } = sim.view;
    const plan = planClaims(log, members, SETTINGS);
    expect(plan.length).toBeGreaterThan(30);
    const config = log.config?.config;
    if (!config) throw new Error("no configuration");
    const takers = Object.values(members.nodes).filter((m) => m.status === "alive" && m.streak >= SETTINGS.joinBeats && !ownerHasLeft(log, m.node, m.incarnation));
    const entries = new Map(vipCatalog(log).map((e) => [e.vip, e]));
    const kinds = new Set<string>();
    for (const claim of plan) {
      const entry = entries.get(claim.vip);
      if (!entry) throw new Error(`no entry for ${claim.vip}`);
      const qualifying = takers.filter((m) => qualify(entry, m, interfacesOf(log, m), config).ok).map((m) => m.node);
      expect(qualifying).toContain(claim.node);
      expect(claim.evidence.eligibleNodes).toBe(qualifying.length);
      kinds.add(qualifying.join(","));
    }
    expect(kinds.size).toBeGreaterThan(2); // Local Services and the two advertisements give VIPs different sets of nodes
    for (const never of ["node5", "node7", "node9"]) expect(plan.map((c) => c.node)).not.toContain(never); // excluded, network unavailable, IPv6 only
  });
});
