import { describe, expect, it } from "vitest";
import type { ClusterConfig } from "../../src/config/types.js";
import { aggregatePrefix } from "../../src/projections/bgp/aggregate.js";
import { bgpPlanFor, type BgpPlan } from "../../src/projections/bgp/bgpPlan.js";
import { parseIp } from "../../src/net/ip.js";
import { ad, bgpConfig, peer, twoNodeSim, type BgpConfigOverrides } from "../support/bgpFixtures.js";
import { service } from "../support/ipamFixtures.js";
import type { SimCluster } from "../support/simCluster.js";
import { speakerBgpPlan } from "../../src/agents/speaker/bgpView.js";
import { SpeakerView } from "../../src/agents/speaker/view.js";
import { DEFAULT_MEMBERSHIP_SETTINGS } from "../../src/projections/settings.js";

// What a node advertises to each BGP peer, derived from the log: every eligible node advertises every VIP its
// advertisements select (no owner), Local services only from nodes with a ready endpoint, leaving nodes nothing.

const config = (over: BgpConfigOverrides = {}): ClusterConfig => bgpConfig(over);
const sim = twoNodeSim;

const routes = (plan: BgpPlan, peerName = "router"): Record<string, unknown> => Object.fromEntries(plan.get(peerName)?.routes ?? []);
const planOf = (s: SimCluster, node: string): BgpPlan => bgpPlanFor(node, s.view.log, s.view.members);

describe("bgpPlanFor", () => {
  it("advertises every allocated VIP from every eligible node as a /32", () => {
    const s = sim(config());
    for (const node of ["node1", "node2"]) expect(routes(planOf(s, node))).toEqual({ "198.18.8.1/32": {}, "198.18.8.2/32": {} });
  });

  it("aggregates, and carries communities, large communities and local-pref", () => {
    const s = sim(config({ ads: [ad("agg", { aggregationLength: 24, communities: ["64512:7"], largeCommunities: ["1:2:3"], localPref: 150 })] }));
    expect(routes(planOf(s, "node1"))).toEqual({ "198.18.8.0/24": { communities: ["64512:7"], largeCommunities: ["1:2:3"], localPref: 150 } });
  });

  it("merges two advertisements of one prefix: communities united, the first local-pref by name", () => {
    const s = sim(config({ ads: [ad("b", { communities: ["1:2"], localPref: 200 }), ad("a", { communities: ["3:4"], localPref: 100 })] }));
    expect(routes(planOf(s, "node1"))["198.18.8.1/32"]).toEqual({ communities: ["1:2", "3:4"], localPref: 100 });
  });

  it("a peer naming a BFDProfile carries that profile in its plan; others carry none", () => {
    const c = config({ peers: [peer("router", { bfdProfile: "fast" }), peer("plain")] });
    if (c.bgp) c.bgp.bfdProfiles = [{ name: "fast", receiveInterval: 50, echoMode: false, passiveMode: false }];
    const plan = planOf(sim(c), "node1");
    expect(plan.get("router")?.bfd).toEqual({ name: "fast", receiveInterval: 50, echoMode: false, passiveMode: false });
    expect(plan.get("plain")).not.toHaveProperty("bfd");
  });

  it("externalTrafficPolicy Local: only nodes with a ready endpoint", () => {
    const c = config();
    c.services = [service("a", { requestedIps: ["198.18.8.1"], externalTrafficPolicy: "Local", readyEndpointNodes: ["node2"] })];
    const s = sim(c);
    expect(routes(planOf(s, "node1"))).toEqual({});
    expect(routes(planOf(s, "node2"))).toEqual({ "198.18.8.1/32": {} });
  });

  it("selects peers and advertisements by node, advertisements by pool, service and peer name", () => {
    const s = sim(
      config({
        peers: [peer("router"), peer("rack2-only", { nodeSelectors: [{ matchLabels: { rack: "r2" }, matchExpressions: [] }] })],
        ads: [
          ad("by-service", { serviceSelectors: [{ matchLabels: { app: "b" }, matchExpressions: [] }], peers: ["router"] }),
          ad("by-pool-label", { ipAddressPoolSelectors: [{ matchLabels: { tier: "web" }, matchExpressions: [] }], aggregationLength: 30, peers: ["rack2-only"] }),
          ad("other-pool", { ipAddressPools: ["v6"] }),
        ],
      }),
    );
    const n1 = planOf(s, "node1");
    expect([...n1.keys()]).toEqual(["router"]);
    expect(routes(n1)).toEqual({ "198.18.8.2/32": {} });
    const n2 = planOf(s, "node2");
    expect([...n2.keys()]).toEqual(["rack2-only", "router"]);
    expect(routes(n2, "rack2-only")).toEqual({ "198.18.8.0/30": {} });
  });

  it("sends a family only to peers of that family unless dualStackAddressFamily", () => {
    const c = config({ peers: [peer("v4"), peer("v6", { peerAddress: "2001:db8::1" }), peer("dual", { dualStackAddressFamily: true })] });
    c.services.push(service("six", { requestedIps: ["2001:db8:8::5"], ipFamilies: [6] }));
    const plan = planOf(sim(c), "node1");
    expect(Object.keys(routes(plan, "v4")).sort()).toEqual(["198.18.8.1/32", "198.18.8.2/32"]);
    expect(Object.keys(routes(plan, "v6"))).toEqual(["2001:db8:8::5/128"]);
    expect(Object.keys(routes(plan, "dual")).sort()).toEqual(["198.18.8.1/32", "198.18.8.2/32", "2001:db8:8::5/128"]);
  });

  it("a leaving node withdraws everything but keeps its sessions; a dead one too", () => {
    const s = sim(config());
    s.kill("node2");
    s.run(10_000);
    expect(s.view.members.nodes["node2"]?.status).toBe("dead");
    expect([...planOf(s, "node2").keys()]).toEqual(["router"]);
    expect(planOf(s, "node2").get("router")?.routes.size).toBe(0);
    expect(planOf(s, "node1").get("router")?.routes.size).toBe(2);
    s.leave("node1");
    expect(planOf(s, "node1").get("router")?.routes.size).toBe(0);
  });

  it("excluded or not-ready Nodes advertise nothing", () => {
    const c = config();
    c.nodes = [
      { name: "node1", labels: { "node.kubernetes.io/exclude-from-external-load-balancers": "" }, ready: true, networkUnavailable: false },
      { name: "node2", labels: {}, ready: false, networkUnavailable: false },
    ];
    const s = sim(c);
    expect(routes(planOf(s, "node1"))).toEqual({});
    expect(routes(planOf(s, "node2"))).toEqual({});
  });

  it("is empty without BGP configuration", () => {
    const c = config();
    delete c.bgp;
    expect(planOf(sim(c), "node1").size).toBe(0);
  });
});

describe("aggregatePrefix", () => {
  it.each([
    ["198.18.8.77", 32, "198.18.8.77/32"],
    ["198.18.8.77", 24, "198.18.8.0/24"],
    ["198.18.8.77", 1, "128.0.0.0/1"],
    ["2001:db8:8::5", 128, "2001:db8:8::5/128"],
    ["2001:db8:8::5", 64, "2001:db8:8::/64"],
  ])("%s at /%d is %s", (ip, len, prefix) => {
    expect(aggregatePrefix(parseIp(ip), len)).toBe(prefix);
  });
});

describe("speakerBgpPlan (what the speaker acts on)", () => {
  it("is null before the view has caught up, empty routes while fenced, and the same object while nothing changed", () => {
    expect(speakerBgpPlan(new SpeakerView(DEFAULT_MEMBERSHIP_SETTINGS, () => undefined), "node1", false)).toBeNull();
    const s = sim(config());
    const plan = speakerBgpPlan(s.view, "node1", false);
    expect(plan?.get("router")?.routes.size).toBe(2);
    expect(speakerBgpPlan(s.view, "node1", false)).toBe(plan);
    expect(speakerBgpPlan(s.view, "node1", true)?.get("router")?.routes.size).toBe(0);
    s.run(500); // heartbeats of every node: this node's record changes (beat), the plan is recomputed but equal
    expect([...(speakerBgpPlan(s.view, "node1", false)?.get("router")?.routes.keys() ?? [])]).toEqual([...(plan?.get("router")?.routes.keys() ?? [])]);
  });

  it("a speaker its own view calls dead (its beats came late, the others' first) keeps its routes; leaving or fenced it withdraws", () => {
    const s = sim(config());
    const plan = speakerBgpPlan(s.view, "node1", false);
    s.kill("node1"); // the process pauses: its beats stop reaching the log, node2's go on
    s.run(1_000); // 500 ms of log time (the sim divides each step between the nodes)
    expect(s.view.members.nodes["node1"]?.status).toBe("dead");
    expect(planOf(s, "node1").get("router")?.routes.size).toBe(0); // the projection (and status) still say so
    expect(speakerBgpPlan(s.view, "node1", false)).toBe(plan); // but the running speaker withdraws nothing
    s.resume("node1"); // its next beat is read back
    s.run(100);
    expect(s.view.members.nodes["node1"]?.status).toBe("alive");
    expect(speakerBgpPlan(s.view, "node1", false)).toBe(plan);
    expect(speakerBgpPlan(s.view, "node1", true)?.get("router")?.routes.size).toBe(0);
    s.leave("node1");
    expect(speakerBgpPlan(s.view, "node1", false)?.get("router")?.routes.size).toBe(0);
  });
});
