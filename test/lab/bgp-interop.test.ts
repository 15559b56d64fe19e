// BGP interoperability with three router implementations (FRR, BIRD 2, GoBGP; src/lab/peerRouter.ts) on the node
// segment, each peering with every node over IPv4 with dualStackAddressFamily (eBGP, AS 64700): the IPv6 VIP arrives
// over the IPv4 session with the node's own IPv6 address as next hop (issue 10 item 4), and a speaker's SIGTERM
// shuts the sessions down with an RFC 9003 shutdown communication every router reports (item 7). BIRD's IPv6 sessions
// expect a BGPPeer localASN (64999) from the nodes while every other router sees their myASN (64512).
// Real nats-server, allocator and speakers (compiled CLI: npm run build).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { BGP_LAB_ASN, BgpCluster } from "../../src/lab/bgpCluster.js";
import { frrModeArgs } from "../../src/lab/frrMode.js";
import { labUnavailableReason } from "../../src/lab/lab.js";
import { LabPeerRouter } from "../../src/lab/peerRouter.js";
import { ROUTER_KINDS, type RouterKind } from "../../src/lab/routerDaemon.js";
import { waitFor } from "../../src/lab/run.js";
import { nodeRole, roleIp, roleIp6 } from "../../src/lab/topology.js";
import { auditThenDestroy } from "../support/labAudit.js";

const VIP = "198.18.100.10";
const VIP6 = "2001:db8:100::10";
const PEER_ASN = 64700;
const HOSTS: Record<RouterKind, number> = { frr: 3, bird: 4, gobgp: 5 };
/** Routers peering over IPv6 sessions instead (the IPv4 VIP then needs the node's IPv4 next hop). */
const HOSTS_V6_SESSION = { frr: 6, bird: 7 } as const;
const NODES = [1, 2];
const unavailable = labUnavailableReason();

/** The ASN the nodes present to BIRD over IPv6 (BGPPeer localASN), while every other peer of the node sees myASN. */
const LOCAL_ASN = 64999;
const localAsnOf = (kind: RouterKind): number | undefined => (kind === "bird" ? LOCAL_ASN : undefined);

const dualStackPeer = (name: string, address: string, localASN?: number): string => `---
kind: BGPPeer
metadata: { name: ${name}, namespace: metallb-system }
spec: { myASN: ${BGP_LAB_ASN}, ${localASN === undefined ? "" : `localASN: ${localASN}, `}peerASN: ${PEER_ASN}, peerAddress: "${address}", holdTime: 9s, dualStackAddressFamily: true }
`;

// Both BGP backends: the native speaker, and FRR's bgpd beside each speaker (--bgp-backend frr).
const BACKENDS = [{ backend: "native", args: [] }, { backend: "frr", args: frrModeArgs() }] as const;

describe.skipIf(unavailable !== undefined).each(BACKENDS)("BGP interop: FRR, BIRD 2 and GoBGP peers with dualStackAddressFamily (2 nodes, $backend backend)", ({ args }) => {
  let c: BgpCluster;
  const routers = new Map<RouterKind, LabPeerRouter>();
  const routersV6 = new Map<RouterKind, LabPeerRouter>();

  beforeAll(async () => {
    c = await BgpCluster.start({ nodes: NODES.length, vips: [VIP, VIP6], log: pino({ level: "warn" }), speakerArgs: [...args] });
    for (const kind of ROUTER_KINDS) {
      const neighbors = NODES.map((k) => ({ address: roleIp(nodeRole(k)), asn: BGP_LAB_ASN, families: ["ipv4", "ipv6"] as const }));
      const r = new LabPeerRouter(c.lab, { kind, host: HOSTS[kind], asn: PEER_ASN, neighbors });
      routers.set(kind, r);
      await r.start();
    }
    for (const [kind, host] of Object.entries(HOSTS_V6_SESSION) as [RouterKind, number][]) {
      const neighbors = NODES.map((k) => ({ address: roleIp6(nodeRole(k)), asn: localAsnOf(kind) ?? BGP_LAB_ASN, families: ["ipv4", "ipv6"] as const }));
      const r = new LabPeerRouter(c.lab, { kind, host, asn: PEER_ASN, neighbors });
      routersV6.set(kind, r);
      await r.start();
    }
    const peers = [...[...routers.values()].map((r) => dualStackPeer(r.kind, r.v4)), ...[...routersV6.values()].map((r) => dualStackPeer(`${r.kind}-v6`, r.v6, localAsnOf(r.kind)))];
    c.writeConfig({ extraManifests: peers.join("") });
  }, 120_000);

  afterAll(async () => {
    for (const r of [...routers.values(), ...routersV6.values()]) await r.stop();
    await auditThenDestroy(c, () => c.destroy());
  });

  describe.each(ROUTER_KINDS)("%s", (kind) => {
    it("gets the IPv6 VIP over the IPv4 session with each node's own IPv6 address as next hop, and the IPv4 VIP as before", async () => {
      const r = routers.get(kind) as LabPeerRouter;
      for (const k of NODES) await waitFor(`${kind}: node${k} Established`, async () => ((await r.established(roleIp(nodeRole(k)))) ? true : undefined), 30_000, 250);
      const expected6 = NODES.map((k) => ({ from: roleIp(nodeRole(k)), nextHop: roleIp6(nodeRole(k)) }));
      await waitFor(`${kind}: the IPv6 VIP from both nodes`, async () => ((await r.paths(`${VIP6}/128`)).length === NODES.length ? true : undefined), 20_000, 250);
      expect(await r.paths(`${VIP6}/128`)).toEqual(expected6);
      const expected4 = NODES.map((k) => ({ from: roleIp(nodeRole(k)), nextHop: roleIp(nodeRole(k)) }));
      await waitFor(`${kind}: the IPv4 VIP from both nodes`, async () => ((await r.paths(`${VIP}/32`)).length === NODES.length ? true : undefined), 20_000, 250);
      expect(await r.paths(`${VIP}/32`)).toEqual(expected4);
    }, 60_000);
  });

  describe.each(Object.keys(HOSTS_V6_SESSION) as RouterKind[])("%s over IPv6 sessions", (kind) => {
    it("gets the IPv4 VIP over the IPv6 session with each node's own IPv4 address as next hop, and the IPv6 VIP as before", async () => {
      const r = routersV6.get(kind) as LabPeerRouter;
      for (const k of NODES) await waitFor(`${kind}: node${k} Established`, async () => ((await r.established(roleIp6(nodeRole(k)))) ? true : undefined), 30_000, 250);
      await waitFor(`${kind}: the IPv4 VIP from both nodes`, async () => ((await r.paths(`${VIP}/32`)).length === NODES.length ? true : undefined), 20_000, 250);
      expect(await r.paths(`${VIP}/32`)).toEqual(NODES.map((k) => ({ from: roleIp6(nodeRole(k)), nextHop: roleIp(nodeRole(k)) })));
      await waitFor(`${kind}: the IPv6 VIP from both nodes`, async () => ((await r.paths(`${VIP6}/128`)).length === NODES.length ? true : undefined), 20_000, 250);
      expect(await r.paths(`${VIP6}/128`)).toEqual(NODES.map((k) => ({ from: roleIp6(nodeRole(k)), nextHop: roleIp6(nodeRole(k)) })));
    }, 60_000);
  });

  it("a per-peer localASN: BIRD over IPv6 expects AS 64999 from each node, the other routers 64512, all Established at once (MetalLB's FRR mode has one myASN per node)", async () => {
    for (const k of NODES) {
      const node = nodeRole(k);
      const bird6 = routersV6.get("bird") as LabPeerRouter;
      await waitFor(`bird over IPv6: ${node} Established as AS ${LOCAL_ASN}`, async () => ((await bird6.established(roleIp6(node))) ? true : undefined), 30_000, 250);
      for (const r of [...routers.values(), routersV6.get("frr") as LabPeerRouter]) {
        const address = routersV6.get("frr") === r ? roleIp6(node) : roleIp(node);
        expect(await r.established(address), `${r.kind}: ${node} Established as AS ${BGP_LAB_ASN}`).toBe(true);
      }
    }
  }, 60_000);

  it("node1 without a global IPv6 address: its IPv6 path is withdrawn at every router and the speaker says why once per peer; back with the address", async () => {
    const node1 = nodeRole(1);
    // Lines since the address went: at start-up, under load, the speaker may also have held routes back for a while
    // (its facts published before the address passed DAD), which is another episode.
    const from = c.speakerLines.length;
    const held = (): string[] => c.speakerLines.slice(from).filter((l) => l.node === 1 && l.line.includes("routes of the other address family not sent")).map((l) => l.line);
    await c.lab.exec(node1, ["ip", "-6", "addr", "del", `${roleIp6(node1)}/64`, "dev", "eth0"]);
    try {
      for (const r of routers.values()) {
        await waitFor(`${r.kind}: node1's IPv6 path withdrawn`, async () => ((await r.paths(`${VIP6}/128`)).some((p) => p.from === roleIp(node1)) ? undefined : true), 20_000, 250);
        expect(await r.paths(`${VIP6}/128`)).toEqual([{ from: roleIp("node2"), nextHop: roleIp6("node2") }]);
        expect((await r.paths(`${VIP}/32`)).map((p) => p.from)).toEqual([roleIp(node1), roleIp("node2")]); // IPv4 untouched
      }
      await new Promise((r) => setTimeout(r, 1_000)); // heartbeats go on: still one line per peer
      const lines = held();
      expect(lines, c.speakerLines.slice(from).filter((l) => l.node === 1).map((l) => l.line).join("\n")).toHaveLength(ROUTER_KINDS.length);
      for (const line of lines) expect(line).toContain("node node1 has no global IPv6 address on an up interface");
    } finally {
      await c.lab.exec(node1, ["ip", "-6", "addr", "add", `${roleIp6(node1)}/64`, "dev", "eth0", "nodad"]);
    }
    const expected6 = NODES.map((k) => ({ from: roleIp(nodeRole(k)), nextHop: roleIp6(nodeRole(k)) }));
    for (const r of routers.values()) {
      await waitFor(`${r.kind}: node1's IPv6 path back`, async () => ((await r.paths(`${VIP6}/128`)).length === NODES.length ? true : undefined), 20_000, 250);
      expect(await r.paths(`${VIP6}/128`)).toEqual(expected6);
    }
  }, 90_000);

  it("a speaker's SIGTERM ends every session with the RFC 9003 shutdown communication \"vipmesh: node draining\"", async () => {
    const node2 = roleIp("node2");
    for (const r of routers.values()) await waitFor(`${r.kind}: node2 Established`, async () => ((await r.established(node2)) ? true : undefined), 30_000, 250);
    const speaker = c.speakers.get(2);
    speaker?.kill("SIGTERM");
    await speaker?.exited;
    const received: Record<string, string | undefined> = {};
    for (const r of routers.values()) {
      await waitFor(`${r.kind}: node2's session down`, async () => (!(await r.established(node2)) ? true : undefined), 10_000, 100);
      received[r.kind] = await r.lastShutdownMessage(node2);
    }
    expect(received).toEqual({ frr: "vipmesh: node draining", bird: "vipmesh: node draining", gobgp: "vipmesh: node draining" });
  }, 60_000);
});
