// A BGP session bound to a VRF (BGPPeer.vrf: SO_BINDTODEVICE set by native/bgpsock.c before the SYN), end to end with
// real nats-server, allocator, speaker (compiled CLI: npm run build) and an FRR router. node1 has a second link
// straight to the router whose node end is in a VRF, so the router's address on it is reachable only from inside the
// VRF: without `vrf` the session cannot come up; with it, FRR establishes it and installs the VIP over that link.
//
// Real VRF devices need a kernel with CONFIG_NET_VRF; where it is missing that suite is skipped, and the same tests
// run with the "device" stand-in of src/lab/bgpVrfLink.ts (the link's routes in a table of their own behind
// `ip rule oif/iif`, the BGPPeer naming the interface): the same binding, made by hand.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { BGP_LAB_ASN, BgpCluster } from "../../src/lab/bgpCluster.js";
import { kernelSupportsVrf, vrfLink, type VrfIsolation, type VrfLinkOptions } from "../../src/lab/bgpVrfLink.js";
import { labUnavailableReason } from "../../src/lab/lab.js";
import { sleep, waitFor } from "../../src/lab/run.js";
import { nodeRole, roleIp } from "../../src/lab/topology.js";
import { auditThenDestroy } from "../support/labAudit.js";

const VIP = "198.18.100.10";
const unavailable = labUnavailableReason();
const vrfDevices = unavailable === undefined && kernelSupportsVrf();

type Neighbor = { bgpState?: string; connectionsEstablished?: number };
type BgpPaths = { paths?: Array<{ nexthops?: Array<{ ip: string }>; peer?: { peerId?: string } }> };
type RouteEntry = { protocol: string; selected?: boolean; nexthops?: Array<{ ip?: string; active?: boolean }> };

function vrfSuite(isolation: VrfIsolation): void {
  const linkOptions: VrfLinkOptions = { node: 1, isolation };
  const link = vrfLink(linkOptions);
  let c: BgpCluster;

  /** node1 (labelled) peers with the router's end of the link; `vrf` binds the session to the VRF. */
  const vrfPeer = (vrf: string | null): string => `---
kind: Node
metadata: { name: node1, labels: { vipmesh.lab/vrf-link: "true" } }
---
kind: BGPPeer
metadata: { name: router-vrf, namespace: metallb-system }
spec: { myASN: ${BGP_LAB_ASN}, peerASN: ${BGP_LAB_ASN}, peerAddress: "${link.routerAddress}", holdTime: 9s, connectTime: 1s, nodeSelectors: [{ matchLabels: { vipmesh.lab/vrf-link: "true" } }]${vrf === null ? "" : `, vrf: ${vrf}`} }
`;
  const neighbor = async (address: string): Promise<Neighbor | undefined> =>
    (await c.router.vtysh<Record<string, Neighbor>>(`show bgp neighbors ${address} json`))[address];
  const routeGet = async (...extra: string[]): Promise<number | null> =>
    (await c.lab.exec(nodeRole(1), ["ip", "route", "get", link.routerAddress, ...extra], { allowFail: true })).code;

  beforeAll(async () => {
    c = await BgpCluster.start({ nodes: 1, vips: [VIP], log: pino({ level: "warn" }), vrfLinks: [linkOptions], extraManifests: vrfPeer(null) });
  }, 120_000);

  afterAll(async () => {
    await auditThenDestroy(c, () => c.destroy());
  });

  it("the router's end of the link is reachable only from inside the VRF", async () => {
    expect(await routeGet()).not.toBe(0); // the main table: no route
    expect(await routeGet(...(isolation === "vrf" ? ["vrf", link.bindTo] : ["oif", link.bindTo]))).toBe(0);
  });

  it("without vrf the session cannot come up, while the node's other sessions are Established", async () => {
    await waitFor("node1's session on the shared segment", async () => ((await neighbor(roleIp(nodeRole(1))))?.bgpState === "Established" ? true : undefined), 60_000, 200);
    await sleep(5_000); // five connect attempts (connectTime 1s)
    const n = await neighbor(link.nodeAddress);
    expect(n?.bgpState).not.toBe("Established");
    expect(n?.connectionsEstablished ?? 0).toBe(0);
  }, 90_000);

  it(`with vrf: ${link.bindTo} FRR establishes the session and installs the VIP over the VRF link`, async () => {
    c.writeConfig({ extraManifests: vrfPeer(link.bindTo) });
    await waitFor("the VRF session Established", async () => ((await neighbor(link.nodeAddress))?.bgpState === "Established" ? true : undefined), 30_000, 200);
    const fromVrfPeer = async (): Promise<string[] | undefined> => {
      const paths = (await c.router.vtysh<BgpPaths>(`show bgp ipv4 unicast ${VIP}/32 json`)).paths ?? [];
      const hops = paths.filter((p) => p.peer?.peerId === link.nodeAddress).flatMap((p) => (p.nexthops ?? []).map((h) => h.ip));
      return hops.length > 0 ? hops : undefined;
    };
    expect(await waitFor("the VIP from the VRF peer", fromVrfPeer, 20_000, 200)).toEqual([link.nodeAddress]);
    const rib = async (): Promise<string[]> => {
      const entries = (await c.router.vtysh<Record<string, RouteEntry[]>>(`show ip route ${VIP}/32 json`))[`${VIP}/32`] ?? [];
      const bgp = entries.find((e) => e.protocol === "bgp" && e.selected);
      return (bgp?.nexthops ?? []).filter((h) => h.active !== false).map((h) => h.ip ?? "");
    };
    await waitFor("the VRF link's next hop in FRR's RIB", async () => ((await rib()).includes(link.nodeAddress) ? true : undefined), 10_000, 200);
    expect(await c.router.fibNextHops(`${VIP}/32`)).toContain(link.nodeAddress);
  }, 60_000);
}

const skipVrf = unavailable ?? (vrfDevices ? undefined : "this kernel has no VRF devices (CONFIG_NET_VRF)");
describe.skipIf(skipVrf !== undefined)(`BGPPeer.vrf with a VRF device (FRR router, 1 node)${skipVrf ? `: skipped, ${skipVrf}` : ""}`, () => vrfSuite("vrf"));
describe.skipIf(unavailable !== undefined)("BGPPeer.vrf naming a device whose routes only bound sockets reach (stand-in for a VRF)", () => vrfSuite("device"));
