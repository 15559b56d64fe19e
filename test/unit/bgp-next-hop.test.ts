import { describe, expect, it } from "vitest";
import type { InterfaceFact } from "../../src/events/types.js";
import { bgpPlanFor } from "../../src/projections/bgp/bgpPlan.js";
import { otherFamilyNextHop } from "../../src/projections/bgp/nextHop.js";
import { bgpConfig, peer, twoNodeSim } from "../support/bgpFixtures.js";
import { service } from "../support/ipamFixtures.js";

// dualStackAddressFamily (issue 10 item 4): the other family's routes carry the node's own address of that family,
// from the interface that reaches the peer; with none, the plan says why (and those routes are not sent).

const iface = (name: string, addresses: string[], over: Partial<InterfaceFact> = {}): InterfaceFact => ({
  name, mac: "02:00:00:00:00:01", up: true, answerable: true, routes: [], addresses, ...over,
});
const v4Session = { peerAddress: "198.18.0.1", sourceAddress: null };
const v6Session = { peerAddress: "2001:db8:0:1::1", sourceAddress: null };

describe("otherFamilyNextHop", () => {
  it.each([
    {
      name: "IPv4 session: the IPv6 address of the interface on the peer's subnet, not of one earlier by name",
      session: v4Session,
      interfaces: [iface("eth0", ["10.0.0.5/24", "2001:db8:9::5/64"]), iface("eth1", ["198.18.0.11/24", "2001:db8:0:1::11/64", "fe80::1/64"])],
      want: { family: 6, address: "2001:db8:0:1::11", interface: "eth1" },
    },
    {
      name: "IPv6 session: the IPv4 address of the interface on the peer's subnet",
      session: v6Session,
      interfaces: [iface("eth0", ["10.0.0.5/24"]), iface("eth1", ["198.18.0.11/24", "2001:db8:0:1::11/64"])],
      want: { family: 4, address: "198.18.0.11", interface: "eth1" },
    },
    {
      name: "the interface holding the BGPPeer's sourceAddress comes first",
      session: { peerAddress: "198.18.0.1", sourceAddress: "10.0.0.5" },
      interfaces: [iface("eth0", ["198.18.0.11/24", "2001:db8:0:1::11/64"]), iface("eth1", ["10.0.0.5/24", "2001:db8:9::5/64"])],
      want: { family: 6, address: "2001:db8:9::5", interface: "eth1" },
    },
    {
      name: "a multihop peer: the interface whose routes cover it, the longest prefix winning over a default route",
      session: { peerAddress: "198.18.2.2", sourceAddress: null },
      interfaces: [
        iface("eth0", ["10.0.0.5/24", "2001:db8:9::5/64"], { routes: ["0.0.0.0/0"] }),
        iface("eth1", ["198.18.0.11/24", "2001:db8:0:1::11/64"], { routes: ["198.18.2.0/24"] }),
      ],
      want: { family: 6, address: "2001:db8:0:1::11", interface: "eth1" },
    },
    {
      name: "the peer's interface has no IPv6 address: another up interface's, skipping link-local and down interfaces",
      session: v4Session,
      interfaces: [iface("eth0", ["198.18.0.11/24", "fe80::11/64"]), iface("eth1", ["2001:db8:7::1/64"], { up: false }), iface("eth2", ["2001:db8:9::5/64"])],
      want: { family: 6, address: "2001:db8:9::5", interface: "eth2" },
    },
    {
      name: "link-local IPv4 (169.254/16) is no next hop either",
      session: v6Session,
      interfaces: [iface("eth0", ["169.254.3.4/16", "2001:db8:0:1::11/64"]), iface("eth1", ["10.0.0.5/24"])],
      want: { family: 4, address: "10.0.0.5", interface: "eth1" },
    },
  ])("$name", ({ session, interfaces, want }) => {
    expect(otherFamilyNextHop("node1", session, interfaces)).toEqual(want);
  });

  it("no usable address of the family: the reason names the node and the family", () => {
    const interfaces = [iface("eth0", ["198.18.0.11/24", "fe80::11/64"])];
    expect(otherFamilyNextHop("node1", v4Session, interfaces)).toEqual({
      family: 6,
      problem: "node node1 has no global IPv6 address on an up interface to use as the IPv6 next hop",
    });
    expect(otherFamilyNextHop("node1", v6Session, [iface("eth0", ["2001:db8:0:1::11/64"])])).toMatchObject({ family: 4, problem: expect.stringContaining("no global IPv4 address") });
  });
});

describe("bgpPlanFor: the other family's next hop of a dual-stack peer", () => {
  it("is planned for dualStackAddressFamily peers only, from the node's heartbeat interfaces", () => {
    const c = bgpConfig({ peers: [peer("v4"), peer("dual", { dualStackAddressFamily: true })] });
    c.services.push(service("six", { requestedIps: ["2001:db8:8::5"], ipFamilies: [6] }));
    const s = twoNodeSim(c); // the simulated nodes report one interface with an IPv4 address only
    const plan = bgpPlanFor("node1", s.view.log, s.view.members);
    expect(plan.get("v4")?.otherFamily).toBeUndefined();
    expect(plan.get("dual")?.otherFamily).toEqual({ family: 6, problem: "node node1 has no global IPv6 address on an up interface to use as the IPv6 next hop" });
    const self = s.view.members.nodes["node1"];
    if (!self) throw new Error("node1 not in the view");
    const members = { ...s.view.members, nodes: { ...s.view.members.nodes, node1: { ...self, interfaces: [iface("eth0", ["198.18.2.11/24", "2001:db8:2::11/64"])] } } };
    expect(bgpPlanFor("node1", s.view.log, members).get("dual")?.otherFamily).toEqual({ family: 6, address: "2001:db8:2::11", interface: "eth0" });
  });
});
