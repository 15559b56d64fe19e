import { describe, expect, it } from "vitest";
import type { BgpPeerConfig } from "../../src/config/types.js";
import type { RouteAttributes } from "../../src/protocols/bgp/adjRibOut.js";
import type { BgpPeerPlan, BgpPlan } from "../../src/projections/bgp/bgpPlan.js";
import { renderFrrConfig, type FrrConfig } from "../../src/projections/bgp/frrConfig.js";
import { EMPTY_FRR_CONFIG, frrCommands, softOutPeers } from "../../src/projections/bgp/frrDiff.js";
import { peer } from "../support/bgpFixtures.js";

// FRR mode (--bgp-backend frr): the plan rendered as FRR configuration, and the vtysh commands between two of them.

const D = { routerId: "198.18.0.11", restartTimeS: 120 };
const tagged: RouteAttributes = { communities: ["64512:7"], localPref: 150 };

// The speaker puts the password it read into the plan (md5Key); the configuration holds only its reference and hash.
const KEYS: Record<string, string> = { router: "s3cret" };
function plan(...peers: Array<[BgpPeerConfig, Array<[string, RouteAttributes]>, BgpPeerPlan["otherFamily"]?]>): BgpPlan {
  return new Map(peers.map(([p, routes, other]) => [p.name, { peer: p, routes: new Map(routes), ...(other === undefined ? {} : { otherFamily: other }), ...(p.password === null || KEYS[p.name] === undefined ? {} : { md5Key: KEYS[p.name]! }) }]));
}
const render = (p: BgpPlan): FrrConfig => renderFrrConfig(p, D);
const commands = (a: BgpPlan, b: BgpPlan): string[] => frrCommands(render(a), render(b));

const router = peer("router", { peerAddress: "198.18.0.1", peerASN: 64512, holdTimeMs: 9_000, password: { from: "peer", namespace: null, name: "router", sha256: "0".repeat(64) }, enableGracefulRestart: true, dualStackAddressFamily: true });
const far = peer("far", { peerAddress: "198.18.2.2", peerASN: 64600, ebgpMultiHop: true, localASN: 4_200_000_000 });
const v6 = peer("v6", { peerAddress: "2001:db8:0:1::1", peerASN: 64512 });
const base = plan(
  [router, [["198.18.100.10/32", tagged], ["2001:db8:100::10/128", tagged]], { family: 6, address: "2001:db8:0:1::11", interface: "eth0" }],
  [far, [["198.18.100.10/32", {}]]],
);

describe("renderFrrConfig", () => {
  it("a restart in place within the grace sets the F bit (preserve-fw-state) on every instance; a fresh start does not", () => {
    const instanceLines = (d: typeof D & { preserveForwarding?: boolean }): string[] => renderFrrConfig(base, d).sections.filter((s) => s.context[0]?.startsWith("router bgp") && s.context.length === 1).flatMap((s) => s.lines.map((l) => l.text));
    expect(instanceLines({ ...D, preserveForwarding: true })).toContain("bgp graceful-restart preserve-fw-state");
    expect(instanceLines(D)).not.toContain("bgp graceful-restart preserve-fw-state");
  });

  it("renders peers, their policies and the networks (golden)", () => {
    const lines = render(base).sections.flatMap((s) => [...s.context, ...s.lines.map((l) => ` ${l.text}`)]);
    expect(lines).toEqual([
      "bgp route-map delay-timer 0",
      "route-map vipmesh-in deny 1",
      "ip prefix-list vipmesh-router-db22a95c-4 permit 198.18.100.10/32",
      "ipv6 prefix-list vipmesh-router-db22a95c-6 permit 2001:db8:100::10/128",
      "ip prefix-list vipmesh-far-bbf65f92-4 permit 198.18.100.10/32",
    ].map((l) => ` ${l}`).concat([
      "route-map vipmesh-router-out permit 42833",
      " match ip address prefix-list vipmesh-router-db22a95c-4",
      " set community 64512:7",
      " set local-preference 150",
      "route-map vipmesh-router-out permit 30775",
      " match ipv6 address prefix-list vipmesh-router-db22a95c-6",
      " set community 64512:7",
      " set local-preference 150",
      " set ipv6 next-hop global 2001:db8:0:1::11",
      "route-map vipmesh-router-out deny 65535",
      "route-map vipmesh-far-out permit 38363",
      " match ip address prefix-list vipmesh-far-bbf65f92-4",
      "route-map vipmesh-far-out deny 65535",
      "router bgp 64512",
      " bgp router-id 198.18.0.11",
      " no bgp default ipv4-unicast",
      " no bgp ebgp-requires-policy",
      " no bgp network import-check",
      " bgp graceful-restart restart-time 120",
      " neighbor 198.18.0.1 remote-as 64512",
      " neighbor 198.18.0.1 timers 3 9",
      " neighbor 198.18.0.1 password s3cret",
      " neighbor 198.18.0.1 graceful-restart",
      " neighbor 198.18.2.2 remote-as 64600",
      " neighbor 198.18.2.2 local-as 4200000000 no-prepend replace-as",
      " neighbor 198.18.2.2 timers 30 90",
      " neighbor 198.18.2.2 ebgp-multihop 255",
      "router bgp 64512",
      "address-family ipv4 unicast",
      " neighbor 198.18.0.1 activate",
      " neighbor 198.18.0.1 route-map vipmesh-in in",
      " neighbor 198.18.0.1 route-map vipmesh-router-out out",
      " neighbor 198.18.2.2 activate",
      " neighbor 198.18.2.2 route-map vipmesh-in in",
      " neighbor 198.18.2.2 route-map vipmesh-far-out out",
      " network 198.18.100.10/32",
      "router bgp 64512",
      "address-family ipv6 unicast",
      " neighbor 198.18.0.1 activate",
      " neighbor 198.18.0.1 route-map vipmesh-in in",
      " neighbor 198.18.0.1 route-map vipmesh-router-out out",
      " network 2001:db8:100::10/128",
    ]));
  });

  it("leaves out the other family's routes when the node has no next hop for them", () => {
    const held = plan([router, [["198.18.100.10/32", {}], ["2001:db8:100::10/128", {}]], { family: 6, problem: "no IPv6 address" }]);
    const text = render(held).sections.flatMap((s) => s.lines.map((l) => l.text));
    expect(text.filter((l) => l.includes("prefix-list") && l.includes("permit"))).toEqual(["ip prefix-list vipmesh-router-bbf65f92-4 permit 198.18.100.10/32"]);
  });

  it("reports a routerID FRR cannot give one peer, and uses the instance's", () => {
    const c = render(plan([peer("a", { routerID: "198.18.0.21" }), []], [peer("b", { routerID: "198.18.0.22", peerAddress: "198.18.2.3" }), []]));
    expect(c.problems).toEqual(["BGPPeer/b: spec.routerID: FRR has one router ID per BGP instance; 198.18.0.21 (of BGPPeer/a) is used"]);
    expect(c.sections.flatMap((s) => s.lines.map((l) => l.text))).toContain("bgp router-id 198.18.0.21");
  });

  it("gives a VRF peer a BGP instance of its own", () => {
    const c = render(plan([peer("a", { peerAddress: "198.18.0.1" }), []], [peer("b", { peerAddress: "198.18.3.1", vrf: "red" }), [["198.18.100.10/32", {}]]]));
    expect(c.sections.map((s) => s.context.join(" / "))).toContain("router bgp 64512 vrf red / address-family ipv4 unicast");
    expect(c.sections.find((s) => s.context.join() === "router bgp 64512 vrf red,address-family ipv4 unicast")?.lines.map((l) => l.text)).toContain("network 198.18.100.10/32");
  });
});

describe("frrCommands", () => {
  it("from nothing: every line, in order, under its context", () => {
    const c = frrCommands(EMPTY_FRR_CONFIG, render(base));
    expect(c.slice(0, 2)).toEqual(["bgp route-map delay-timer 0", "route-map vipmesh-in deny 1"]);
    expect(c).toContain("neighbor 198.18.0.1 password s3cret");
    expect(c.indexOf("ip prefix-list vipmesh-far-bbf65f92-4 permit 198.18.100.10/32")).toBeLessThan(c.indexOf("network 198.18.100.10/32"));
    expect(c.indexOf("neighbor 198.18.0.1 remote-as 64512")).toBeLessThan(c.indexOf("neighbor 198.18.0.1 password s3cret"));
  });

  it("the same plan: no commands", () => {
    expect(commands(base, base)).toEqual([]);
  });

  it("one route added: its prefix-list line and its network, nothing else", () => {
    const next = plan(
      [router, [["198.18.100.10/32", tagged], ["198.18.100.11/32", tagged], ["2001:db8:100::10/128", tagged]], { family: 6, address: "2001:db8:0:1::11", interface: "eth0" }],
      [far, [["198.18.100.10/32", {}]]],
    );
    expect(commands(base, next)).toEqual([
      "ip prefix-list vipmesh-router-db22a95c-4 permit 198.18.100.11/32",
      "router bgp 64512", "address-family ipv4 unicast", "network 198.18.100.11/32",
    ]);
    expect(commands(next, base)).toEqual(["router bgp 64512", "address-family ipv4 unicast", "no network 198.18.100.11/32", "no ip prefix-list vipmesh-router-db22a95c-4 permit 198.18.100.11/32"]);
    expect(softOutPeers(base, next)).toEqual([]);
  });

  it("one community changed: the prefix moves to the new set's list and entry, the old set's go", () => {
    const next = plan(
      [router, [["198.18.100.10/32", tagged], ["2001:db8:100::10/128", tagged]], { family: 6, address: "2001:db8:0:1::11", interface: "eth0" }],
      [far, [["198.18.100.10/32", { communities: ["64600:1"] }]]],
    );
    const c = commands(base, next);
    expect(c.filter((l) => !l.startsWith("route-map") && !l.startsWith("match") && !l.startsWith("no route-map"))).toEqual([
      expect.stringMatching(/^ip prefix-list vipmesh-far-\w+-4 permit 198\.18\.100\.10\/32$/),
      "set community 64600:1",
      "no ip prefix-list vipmesh-far-bbf65f92-4 permit 198.18.100.10/32",
    ]);
    expect(c).toContain("no route-map vipmesh-far-out permit 38363");
    expect(c.some((l) => l.includes("router"))).toBe(false);
    expect(softOutPeers(base, next).map((p) => p.peer.name)).toEqual(["far"]);
  });

  it("a changed value of one slot: the new value alone", () => {
    const next = plan([{ ...router, holdTimeMs: 30_000 }, [["198.18.100.10/32", tagged], ["2001:db8:100::10/128", tagged]], { family: 6, address: "2001:db8:0:1::11", interface: "eth0" }], [far, [["198.18.100.10/32", {}]]]);
    expect(commands(base, next)).toEqual(["router bgp 64512", "neighbor 198.18.0.1 timers 10 30"]);
  });

  it("a removed peer: its remote-as, route-map and prefix-lists go; its other lines go with them", () => {
    const next = plan([router, [["198.18.100.10/32", tagged], ["2001:db8:100::10/128", tagged]], { family: 6, address: "2001:db8:0:1::11", interface: "eth0" }]);
    expect(commands(base, next)).toEqual([
      "router bgp 64512", "no neighbor 198.18.2.2 remote-as 64600",
      "no route-map vipmesh-far-out deny 65535",
      "no route-map vipmesh-far-out permit 38363",
      "no ip prefix-list vipmesh-far-bbf65f92-4 permit 198.18.100.10/32",
    ]);
  });

  it("a new myASN for the instance: the old instance goes first", () => {
    const a = plan([v6, []]);
    const b = plan([{ ...v6, myASN: 64513 }, []]);
    const c = commands(a, b);
    expect(c[0]).toBe("no router bgp 64512");
    expect(c).toContain("router bgp 64513");
    expect(c.filter((l) => l.startsWith("no router"))).toEqual(["no router bgp 64512"]);
    expect(c.indexOf("router bgp 64513")).toBeGreaterThan(0);
  });

  it("BFD: a profile for bfdd and the neighbor's bfd line; an interval change is that line; unpaired: no neighbor bfd, no profile", () => {
    const lab = { name: "lab", receiveInterval: 300, transmitInterval: 300, detectMultiplier: 3, echoMode: false, passiveMode: true };
    const withBfd = plan([{ ...v6, bfdProfile: "lab" }, []]);
    withBfd.get("v6")!.bfd = lab;
    const c = commands(plan([v6, []]), withBfd);
    expect(c).toEqual([
      "bfd", "profile lab", "receive-interval 300", "transmit-interval 300", "detect-multiplier 3", "passive-mode",
      "router bgp 64512", "neighbor 2001:db8:0:1::1 bfd profile lab",
    ]);
    const faster = plan([{ ...v6, bfdProfile: "lab" }, []]);
    faster.get("v6")!.bfd = { ...lab, transmitInterval: 50 };
    expect(commands(withBfd, faster)).toEqual(["bfd", "profile lab", "transmit-interval 50"]);
    const closer = plan([{ ...v6, bfdProfile: "lab" }, []]);
    closer.get("v6")!.bfd = { ...lab, minimumTtl: 253 };
    expect(commands(withBfd, closer)).toEqual(["bfd", "profile lab", "minimum-ttl 253"]);
    expect(commands(withBfd, plan([v6, []]))).toEqual(["router bgp 64512", "no neighbor 2001:db8:0:1::1 bfd", "no bfd"]);
  });

  it("BFD dampening: bfdd has none, so the profile renders as without it and the problem is reported", () => {
    const lab = { name: "lab", echoMode: false, passiveMode: false };
    const damped = plan([{ ...v6, bfdProfile: "lab" }, []]);
    damped.get("v6")!.bfd = { ...lab, dampening: { halfLifeMs: 30_000, penalty: 1000, suppressThreshold: 2000, reuseThreshold: 750, maxSuppressMs: 120_000 } };
    const plain = plan([{ ...v6, bfdProfile: "lab" }, []]);
    plain.get("v6")!.bfd = lab;
    expect(render(damped).sections).toEqual(render(plain).sections);
    expect(render(damped).problems).toEqual([expect.stringMatching(/^BFDProfile\/lab: metadata\.annotations\.vipmesh\.io\/bfd-dampening-\*: FRR's bfdd has no flap dampening/)]);
    expect(render(plain).problems).toEqual([]);
  });

  it("localASN toward a peer whose ASN is the instance's: remote-as external, and the problem FRR leaves is reported", () => {
    const c = render(plan([peer("a", { peerAddress: "198.18.0.1", peerASN: 64512 }), []], [peer("b", { peerAddress: "198.18.3.1", peerASN: 64512, localASN: 64700 }), []]));
    expect(c.sections.flatMap((s) => s.lines.map((l) => l.text))).toEqual(expect.arrayContaining(["neighbor 198.18.3.1 remote-as external", "neighbor 198.18.3.1 local-as 64700 no-prepend replace-as"]));
    expect(c.problems).toEqual(["BGPPeer/b: spec.localASN: FRR cannot run an eBGP session as 64700 to peerASN 64512, the ASN of this node's BGP instance; the native backend can"]);
  });
});
