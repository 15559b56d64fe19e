import { describe, expect, it } from "vitest";
import type { ClusterConfig, L2AdvertisementConfig } from "../../src/config/types.js";
import type { InterfaceFact } from "../../src/events/types.js";
import { wantedStatus } from "../../src/projections/kubeStatus/desired.js";
import { l2StatusBody, wantedL2Statuses } from "../../src/projections/kubeStatus/l2Wanted.js";
import { answerSetFor } from "../../src/projections/answering.js";
import { statusObjectName } from "../../src/projections/kubeStatus/nodeStatus.js";
import { annotationPatch, statusPatch } from "../../src/projections/kubeStatus/servicePatches.js";
import type { KubeObject } from "../../src/kube/informer.js";
import type { LogState } from "../../src/projections/logState.js";
import { emptyMembership, type MemberRecord, type MembershipState } from "../../src/projections/membership.js";
import { clusterConfig, pool, service } from "../support/ipamFixtures.js";
import { MemoryLog, Replica } from "../support/ipamLog.js";

// What the status writers want, from the projections alone, and the patches they send only when it differs.

const l2All: L2AdvertisementConfig = { name: "all", ipAddressPools: [], ipAddressPoolSelectors: [], nodeSelectors: [], serviceSelectors: [], preferredNodeSelectors: [], interfaces: [] };

function allocated(over: Partial<ClusterConfig> = {}): LogState {
  const log = new MemoryLog();
  log.applyConfig(clusterConfig({
    pools: [pool("lab", ["198.18.0.200/31"])],
    l2Advertisements: [l2All],
    services: [service("default/web"), service("default/api"), service("default/late")],
    ...over,
  }));
  const replica = new Replica(log, "a");
  replica.converge();
  return replica.state;
}

/** .200 (api) owned by node1, .201 (late) by node2. */
function owned(over: Partial<ClusterConfig> = {}): LogState {
  const state = allocated(over);
  const vip = { owner: "node1", incarnation: 1, term: 1, subjectSeq: 1, since: 0, reason: "unowned" as const };
  return { ...state, vips: { "198.18.0.200": vip, "198.18.0.201": { ...vip, owner: "node2" } } };
}

const iface = (name: string, addresses: string[], over: Partial<InterfaceFact> = {}): InterfaceFact => ({ name, mac: "02:00:00:00:00:01", up: true, answerable: true, addresses, routes: [], ...over });

function member(node: string, interfaces: InterfaceFact[], over: Partial<MemberRecord> = {}): MemberRecord {
  return { node, incarnation: 1, beat: 5, status: "alive", ready: true, version: "test", interfaces, lastHeardAt: 0, lastHeardLive: 0, streak: 3, health: 0, beatLateMs: 0, overdue: false, ...over };
}

const members = (...records: MemberRecord[]): MembershipState => ({ ...emptyMembership(), seq: 10, nodes: Object.fromEntries(records.map((r) => [r.node, r])) });

describe("wanted status", () => {
  it("gives each Service its IPs and pool, or the reason it has none; pool usage", () => {
    const wanted = wantedStatus(allocated(), null);
    expect(wanted.services.get("default/api")).toEqual({ key: "default/api", ips: ["198.18.0.200"], pool: "lab", notAnnounced: null });
    expect(wanted.services.get("default/late")?.ips).toEqual(["198.18.0.201"]);
    expect(wanted.services.get("default/web")?.notAnnounced?.reason).toBe("PoolExhausted");
    expect(wanted.pools).toEqual([{ pool: "lab", assignedIPv4: 2, assignedIPv6: 0, availableIPv4: 0, availableIPv6: 0 }]);
  });

  it("patches only what differs, guarded by resourceVersion; a settled Service gets no patch", () => {
    const wanted = { key: "default/web", ips: ["198.18.0.201"], pool: "lab", notAnnounced: null };
    const svc: KubeObject = { kind: "Service", metadata: { name: "web", namespace: "default", resourceVersion: "7" }, status: {} };
    const patch = statusPatch(svc, wanted, "2026-01-01T00:00:00Z") as { metadata: { resourceVersion: string }; status: { loadBalancer: unknown; conditions: { type: string; status: string }[] } };
    expect(patch.metadata.resourceVersion).toBe("7");
    expect(patch.status.loadBalancer).toEqual({ ingress: [{ ip: "198.18.0.201" }] });
    const settled: KubeObject = { ...svc, metadata: { ...svc.metadata, annotations: { "metallb.io/ip-allocated-from-pool": "lab" } }, status: patch.status };
    expect(statusPatch(settled, wanted, "2026-01-01T00:00:09Z")).toBeNull();
    expect(annotationPatch(settled, wanted)).toBeNull();
    expect(annotationPatch(svc, wanted)).toEqual({ metadata: { resourceVersion: "7", annotations: { "metallb.io/ip-allocated-from-pool": "lab" } } });
  });
});

describe("ServiceL2Status wanted", () => {
  const l2 = (log: LogState, m: MembershipState, node: string) => [...wantedL2Statuses(log, node, answerSetFor(node, log, m)).values()];

  it("one per Service whose VIP the node answers for, with the interface in the VIP's subnet", () => {
    const m = members(member("node1", [iface("eth0", ["10.0.0.5/24"]), iface("eth1", ["198.18.0.11/24"])]), member("node2", [iface("eth1", ["198.18.0.12/24"])]));
    expect(l2(owned(), m, "node1")).toEqual([
      { name: statusObjectName("l2", "node1", "default/api"), node: "node1", serviceName: "api", serviceNamespace: "default", interfaces: ["eth1"] },
    ]);
    expect(l2(owned(), m, "node2").map((w) => [w.serviceName, w.interfaces])).toEqual([["late", ["eth1"]]]);
    expect(l2(owned(), m, "node3")).toEqual([]);
  });

  it("keeps the name the status objects always had (l2-<hash of node and Service>)", () => {
    expect(statusObjectName("l2", "node1", "default/api")).toMatch(/^l2-[0-9a-f]{20}$/);
    expect(statusObjectName("l2", "node1", "default/api")).not.toBe(statusObjectName("l2", "node2", "default/api"));
  });

  it("falls back to the interface whose route reaches the VIP, as the speaker does", () => {
    const m = members(member("node1", [iface("eth0", ["10.0.0.5/24"], { routes: ["198.18.0.0/16"] }), iface("eth9", ["10.9.0.5/24"], { routes: ["0.0.0.0/0"] })]));
    expect(l2(owned(), m, "node1")[0]?.interfaces).toEqual(["eth0"]);
  });

  it("none where the node would not answer: interface down, not heard from, or an interface the advertisement excludes", () => {
    const down = members(member("node1", [iface("eth1", ["198.18.0.11/24"], { up: false })]));
    expect(l2(owned(), down, "node1")).toEqual([]);
    expect(l2(owned(), members(), "node1")).toEqual([]);
    const onlyEth2 = owned({ l2Advertisements: [{ ...l2All, interfaces: ["eth2"] }] });
    expect(l2(onlyEth2, members(member("node1", [iface("eth1", ["198.18.0.11/24"])])), "node1")).toEqual([]);
  });

  it("a Service with two VIPs on the node lists both interfaces once, in order", () => {
    const log = allocated({ pools: [pool("lab", ["198.18.0.200/32", "2001:db8::200/128"])], services: [service("default/dual", { ipFamilyPolicy: "RequireDualStack", ipFamilies: [4, 6] })] });
    const vip = { owner: "node1", incarnation: 1, term: 1, subjectSeq: 1, since: 0, reason: "unowned" as const };
    const both = { ...log, vips: { "198.18.0.200": vip, "2001:db8::200": vip } };
    const m = members(member("node1", [iface("eth2", ["2001:db8::11/64"]), iface("eth1", ["198.18.0.11/24"])]));
    const [w] = l2(both, m, "node1");
    expect(w?.interfaces).toEqual(["eth1", "eth2"]);
    expect(l2StatusBody(w!)).toEqual({ node: "node1", serviceName: "dual", serviceNamespace: "default", interfaces: [{ name: "eth1" }, { name: "eth2" }] });
  });
});

describe("NoInterfaceInSubnet", () => {
  const reasonOf = (log: LogState, m: MembershipState | null, svc = "default/api") => wantedStatus(log, null, m).services.get(svc)?.notAnnounced ?? null;
  const outside = [iface("eth0", ["10.0.0.5/24"])];
  const inside = [iface("eth1", ["198.18.0.11/24"])];
  const bgp = { peers: [{ name: "router", myASN: 64512, peerASN: 64500, dynamicASN: null, peerAddress: "198.18.2.1", sourceAddress: null, peerPort: 179, routerID: null, holdTimeMs: null, keepaliveTimeMs: null, connectTimeMs: null, password: null, ebgpMultiHop: false, nodeSelectors: [], enableGracefulRestart: false, dualStackAddressFamily: false, vrf: null }], advertisements: [{ name: "all", aggregationLength: 32, aggregationLengthV6: 128, localPref: null, communities: [], largeCommunities: [], peers: [], nodeSelectors: [], ipAddressPools: [], ipAddressPoolSelectors: [], serviceSelectors: [] }] };
  const excluded = { name: "node2", labels: { "node.kubernetes.io/exclude-from-external-load-balancers": "" }, ready: true, networkUnavailable: false };

  const cases: { name: string; log: LogState; members: MembershipState | null; reason: string | null }[] = [
    { name: "every running node lacks an interface in the subnet", log: allocated(), members: members(member("node1", outside), member("node2", outside)), reason: "NoInterfaceInSubnet" },
    { name: "one running node has one", log: allocated(), members: members(member("node1", outside), member("node2", inside)), reason: null },
    { name: "a route to the VIP is enough", log: allocated(), members: members(member("node1", [iface("eth0", ["10.0.0.5/24"], { routes: ["198.18.0.0/16"] })])), reason: null },
    { name: "only a dead node has one", log: allocated(), members: members(member("node1", outside), member("node2", inside, { status: "dead" })), reason: "NoInterfaceInSubnet" },
    { name: "the only one that has one is excluded: not otherwise eligible", log: allocated({ nodes: [{ ...excluded, name: "node1", labels: {} }, excluded] }), members: members(member("node1", outside), member("node2", inside)), reason: "NoInterfaceInSubnet" },
    { name: "no running node at all: nothing to say", log: allocated(), members: members(), reason: null },
    { name: "no node otherwise eligible (not ready): not this reason", log: allocated(), members: members(member("node1", outside, { ready: false })), reason: null },
    { name: "the pool is also advertised over BGP: no interface needed", log: allocated({ bgp }), members: members(member("node1", outside)), reason: null },
    { name: "membership not caught up: not judged", log: allocated(), members: null, reason: null },
  ];
  it.each(cases)("$name", ({ log, members: m, reason }) => {
    expect(reasonOf(log, m)?.reason ?? null).toBe(reason);
  });

  it("names the VIP, its subnet (the pool's address block) and the nodes it checked", () => {
    const log = allocated({ pools: [pool("lab", ["198.18.0.0/24"], { avoidBuggyIPs: true })], services: [service("default/api")] });
    const reason = reasonOf(log, members(member("node2", outside), member("node1", outside)));
    expect(reason).toEqual({
      reason: "NoInterfaceInSubnet",
      message: "no eligible node has an up interface in 198.18.0.0/24 (the subnet of 198.18.0.1, pool lab) or a route to it; checked node1, node2",
    });
  });

  it("an advertisement limited to interfaces: an interface in the subnet under another name does not count", () => {
    const log = allocated({ l2Advertisements: [{ ...l2All, interfaces: ["eth2"] }] });
    expect(reasonOf(log, members(member("node1", inside)))?.reason).toBe("NoInterfaceInSubnet");
    expect(reasonOf(log, members(member("node1", [iface("eth2", ["198.18.0.11/24"])])))).toBeNull();
  });

  it("a reason the configuration gives comes first", () => {
    const log = allocated({ nodes: [{ ...excluded, name: "node1" }] });
    expect(reasonOf(log, members(member("node1", outside)))?.reason).toBe("AllNodesExcluded");
  });
});
