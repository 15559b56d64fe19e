import { interfacesOf } from "../../src/projections/nodeFacts.js";
import { describe, expect, it } from "vitest";
import type { ClusterConfig } from "../../src/config/types.js";
import { bgpStatusBody, wantedBgpStatuses } from "../../src/projections/kubeStatus/bgpWanted.js";
import { statusObjectName } from "../../src/projections/kubeStatus/nodeStatus.js";
import { statusDiffers } from "../../src/adapters/kube/status/statusObjects.js";
import { aggregatePrefix } from "../../src/projections/bgp/aggregate.js";
import { bgpPlanFor } from "../../src/projections/bgp/bgpPlan.js";
import { parseIp } from "../../src/net/ip.js";
import { ad, bgpConfig, peer, twoNodeSim, type BgpConfigOverrides } from "../support/bgpFixtures.js";
import { service } from "../support/ipamFixtures.js";
import type { SimCluster } from "../support/simCluster.js";

// Which ServiceBGPStatus objects a node should have: one per Service it advertises over BGP, naming the BGPPeers the
// plan sends its VIP to (by configuration, whatever the session state), read from the plan the announcer sends.

const config = (over: BgpConfigOverrides = {}): ClusterConfig => bgpConfig(over, [peer("router-b"), peer("router-a", { peerAddress: "198.18.2.2" })]);
const sim = twoNodeSim;

const peersBy = (s: SimCluster, node: string): Record<string, string[]> =>
  Object.fromEntries([...wantedBgpStatuses(s.view.log, s.view.members, node).values()].map((w) => [`${w.serviceNamespace}/${w.serviceName}`, w.peers]));

describe("ServiceBGPStatus wanted", () => {
  it("one per Service the node advertises, every eligible node, peers in name order", () => {
    const s = sim(config());
    for (const node of ["node1", "node2"]) expect(peersBy(s, node)).toEqual({ "default/a": ["router-a", "router-b"], "default/b": ["router-a", "router-b"] });
    const [first] = wantedBgpStatuses(s.view.log, s.view.members, "node1").values();
    expect(first?.name).toBe(statusObjectName("bgp", "node1", "default/a"));
    expect(bgpStatusBody(first!)).toEqual({ node: "node1", serviceName: "a", serviceNamespace: "default", peers: ["router-a", "router-b"] });
  });

  it("with the speaker's BFD state: each listed peer paired with BFD, its state and echo verdict; null (field removed) when none", () => {
    const s = sim(config());
    const [first] = wantedBgpStatuses(s.view.log, s.view.members, "node1").values();
    const base = { node: "node1", serviceName: "a", serviceNamespace: "default", peers: ["router-a", "router-b"] };
    expect(bgpStatusBody(first!, { "router-b": { status: "Up" }, "router-a": { status: "Down", echo: "notSupported" }, unlisted: { status: "Up" } })).toEqual({
      ...base, bfd: [{ peer: "router-a", status: "Down", echo: "notSupported" }, { peer: "router-b", status: "Up" }],
    });
    expect(bgpStatusBody(first!, {})).toEqual({ ...base, bfd: null });
    expect(bgpStatusBody(first!, { "router-a": { status: "Up", suppressed: true } })).toEqual({ ...base, bfd: [{ peer: "router-a", status: "Up", suppressed: true }] });
  });

  it("a wanted null differs from a present field only (so the writer patches once to remove it, then rests)", () => {
    const o = (status: Record<string, unknown>) => ({ apiVersion: "metallb.io/v1beta1", kind: "ServiceBGPStatus", metadata: { name: "x" }, status });
    expect(statusDiffers(o({ peers: ["a"], bfd: [{ peer: "a", status: "Up" }] }), { peers: ["a"], bfd: null })).toBe(true);
    expect(statusDiffers(o({ peers: ["a"] }), { peers: ["a"], bfd: null })).toBe(false);
    expect(statusDiffers(o({ peers: ["a"], bfd: [{ peer: "a", status: "Up" }] }), { peers: ["a"], bfd: [{ peer: "a", status: "Down" }] })).toBe(true);
  });

  it("only the peers an advertisement names, and only for the Services its serviceSelectors select", () => {
    const s = sim(config({ ads: [ad("to-a", { peers: ["router-a"] }), ad("b-to-b", { peers: ["router-b"], serviceSelectors: [{ matchLabels: { app: "b" }, matchExpressions: [] }] })] }));
    expect(peersBy(s, "node1")).toEqual({ "default/a": ["router-a"], "default/b": ["router-a", "router-b"] });
  });

  it("only the peers selecting the node, and only from nodes the advertisement selects", () => {
    const rack1 = [{ matchLabels: { rack: "r1" }, matchExpressions: [] }];
    const s = sim(config({ peers: [peer("router-a", { nodeSelectors: rack1 }), peer("router-b")], ads: [ad("all"), ad("r2-only", { nodeSelectors: [{ matchLabels: { rack: "r2" }, matchExpressions: [] }] })] }));
    expect(peersBy(s, "node1")).toEqual({ "default/a": ["router-a", "router-b"], "default/b": ["router-a", "router-b"] });
    expect(peersBy(s, "node2")).toEqual({ "default/a": ["router-b"], "default/b": ["router-b"] });
  });

  it("aggregated prefixes: a Local Service without an endpoint on the node is not listed although its prefix is advertised", () => {
    const c = config({ ads: [ad("agg", { aggregationLength: 24 })] });
    c.services = [service("a", { requestedIps: ["198.18.8.1"], externalTrafficPolicy: "Local", readyEndpointNodes: ["node2"] }), service("b", { requestedIps: ["198.18.8.2"] })];
    const s = sim(c);
    expect([...(bgpPlanFor("node1", s.view.log, s.view.members).get("router-a")?.routes.keys() ?? [])]).toEqual(["198.18.8.0/24"]);
    expect(peersBy(s, "node1")).toEqual({ "default/b": ["router-a", "router-b"] });
    expect(peersBy(s, "node2")).toEqual({ "default/a": ["router-a", "router-b"], "default/b": ["router-a", "router-b"] });
  });

  it("an IPv6 VIP only to peers of its family, or dual-stack ones while the node has an IPv6 next hop for them", () => {
    const c = config({ peers: [peer("v4"), peer("dual", { dualStackAddressFamily: true }), peer("v6", { peerAddress: "2001:db8:2::1" })] });
    c.services = [service("six", { requestedIps: ["2001:db8:8::1"], ipFamilies: [6] })];
    const s = sim(c); // the simulated nodes have IPv4 addresses only: the dual-stack (IPv4) session cannot carry it
    expect(peersBy(s, "node1")).toEqual({ "default/six": ["v6"] });
    const self = s.view.members.nodes["node1"];
    if (!self) throw new Error("node1 not in the view");
    const interfaces = [{ ...interfacesOf(s.view.log, self)[0]!, addresses: ["198.18.0.11/16", "2001:db8:2::11/64"] }];
    const members = { ...s.view.members, nodes: { ...s.view.members.nodes, node1: { ...self, interfaces } } };
    const wanted = wantedBgpStatuses(s.view.log, members, "node1");
    expect([...wanted.values()].map((w) => w.peers)).toEqual([["dual", "v6"]]);
  });

  it("none from a node that may not advertise: excluded, not Ready, leaving", () => {
    const c = config();
    c.nodes = [{ name: "node1", labels: { "node.kubernetes.io/exclude-from-external-load-balancers": "" }, ready: true, networkUnavailable: false }, { name: "node2", labels: {}, ready: false, networkUnavailable: false }];
    const s = sim(c);
    expect(peersBy(s, "node1")).toEqual({});
    expect(peersBy(s, "node2")).toEqual({});
    const leaving = sim(config());
    leaving.leave("node1");
    expect(peersBy(leaving, "node1")).toEqual({});
    expect(Object.keys(peersBy(leaving, "node2"))).toEqual(["default/a", "default/b"]);
  });

  it("agrees with the plan: every listed (VIP, peer) is a route the plan sends to that peer", () => {
    const c = config({ ads: [ad("agg", { aggregationLength: 30, peers: ["router-a"] }), ad("host", { serviceSelectors: [{ matchLabels: { app: "b" }, matchExpressions: [] }] })] });
    const s = sim(c);
    const plan = bgpPlanFor("node1", s.view.log, s.view.members);
    for (const w of wantedBgpStatuses(s.view.log, s.view.members, "node1").values()) {
      const svc = c.services.find((x) => x.name === w.serviceName);
      const vip = parseIp(svc?.requestedIps[0] ?? "");
      for (const p of w.peers) {
        const routes = [...(plan.get(p)?.routes.keys() ?? [])];
        expect(routes.some((r) => r === aggregatePrefix(vip, 30) || r === aggregatePrefix(vip, 32)), `${w.serviceName} -> ${p}`).toBe(true);
      }
    }
    expect(peersBy(s, "node1")).toEqual({ "default/a": ["router-a"], "default/b": ["router-a", "router-b"] });
  });
});
