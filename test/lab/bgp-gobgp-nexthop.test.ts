// Issue 10 item 6 against a real GoBGP: a GoBGP iBGP peer of a vipmesh speaker announces an IPv4 prefix with an IPv6
// next hop (`gobgp global rib add -a ipv4 ... nexthop 2001:db8:...`), which it sends as MP_REACH_NLRI for IPv4 with a
// 16-octet next hop although the session never negotiated extended next hop (RFC 8950). The speaker used to answer
// with a NOTIFICATION and reset the session in a loop, withdrawing its VIPs each time; now it disables IPv4 unicast
// received on that session (RFC 4760 7, RFC 7606 7.11), logs it once, and the session and the VIP stay. Over an IPv6
// session with dualStackAddressFamily the speaker offers extended next hop (capability 5), GoBGP sends the same
// route there with its IPv6 next hop, and it is accepted without any error.
// Real nats-server, allocator and speaker (compiled CLI: npm run build), GoBGP from src/lab/peerRouter.ts.
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BGP_LAB_ASN, BgpCluster } from "../../src/lab/bgpCluster.js";
import { labUnavailableReason } from "../../src/lab/lab.js";
import { parseGobgpRib } from "../../src/lab/gobgpDaemon.js";
import { LabPeerRouter } from "../../src/lab/peerRouter.js";
import type { RouterPath } from "../../src/lab/routerDaemon.js";
import { inNs, run, waitFor } from "../../src/lab/run.js";
import { roleIp, roleIp6 } from "../../src/lab/topology.js";
import { auditThenDestroy } from "../support/labAudit.js";

const VIP = "198.18.100.20";
const FOREIGN = "198.18.60.0/24";
const GOBGP_API = ["-u", "127.0.0.1", "-p", "50051"];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type GobgpNeighbor = { state?: { session_state?: number }; timers?: { state?: { uptime?: unknown } } };

describe.skipIf(labUnavailableReason() !== undefined)("GoBGP announces IPv4 routes with an IPv6 next hop (issue 10 item 6)", () => {
  let c: BgpCluster;
  let gobgp: LabPeerRouter;
  const node1 = roleIp("node1");
  const node1v6 = roleIp6("node1");
  const neighbor = async (address = node1): Promise<GobgpNeighbor> =>
    JSON.parse((await run(inNs(gobgp.ns, ["gobgp", ...GOBGP_API, "-j", "neighbor", address]))).stdout) as GobgpNeighbor;
  const ourLines = (peer = "gobgp"): string[] => c.speakerLines.map((l) => l.line).filter((l) => l.includes(`"bgpPeer":"${peer}"`));

  beforeAll(async () => {
    c = await BgpCluster.start({ nodes: 1, vips: [VIP], log: pino({ level: "warn" }) });
    gobgp = new LabPeerRouter(c.lab, { kind: "gobgp", host: 6, asn: BGP_LAB_ASN, neighbors: [
      { address: node1, asn: BGP_LAB_ASN },
      { address: node1v6, asn: BGP_LAB_ASN, families: ["ipv4", "ipv6"] },
    ] });
    await gobgp.start();
    c.writeConfig({
      extraManifests: `---
kind: BGPPeer
metadata: { name: gobgp, namespace: metallb-system }
spec: { myASN: ${BGP_LAB_ASN}, peerASN: ${BGP_LAB_ASN}, peerAddress: "${gobgp.v4}", holdTime: 9s }
---
kind: BGPPeer
metadata: { name: gobgp6, namespace: metallb-system }
spec: { myASN: ${BGP_LAB_ASN}, peerASN: ${BGP_LAB_ASN}, peerAddress: "${gobgp.v6}", holdTime: 9s, dualStackAddressFamily: true }
`,
    });
  }, 120_000);

  afterAll(async () => {
    await gobgp?.stop();
    await auditThenDestroy(c, () => c.destroy());
  });

  it("the session stays Established and GoBGP keeps the VIP; the speaker logs the case once", async () => {
    await waitFor("GoBGP: node1 Established", async () => ((await gobgp.established(node1)) ? true : undefined), 30_000, 250);
    const fromNode1 = async (): Promise<RouterPath[]> => (await gobgp.paths(`${VIP}/32`)).filter((p) => p.from === node1);
    await waitFor("GoBGP: the VIP from node1", async () => ((await fromNode1()).length === 1 ? true : undefined), 20_000, 250);
    const upSince = (await neighbor()).timers?.state?.uptime;

    await run(inNs(gobgp.ns, ["gobgp", ...GOBGP_API, "global", "rib", "add", "-a", "ipv4", FOREIGN, "nexthop", "2001:db8:0:1::6"]));
    const answered = (l: string): boolean => l.includes("RFC 7606") || l.includes("session down");
    await waitFor("the speaker's answer (an RFC 7606 log line, or a reset)", async () => (ourLines().some(answered) ? true : undefined), 15_000, 100);
    await sleep(6_000); // the issue saw a reset every ~4 s
    await run(inNs(gobgp.ns, ["gobgp", ...GOBGP_API, "global", "rib", "del", "-a", "ipv4", FOREIGN]));
    await run(inNs(gobgp.ns, ["gobgp", ...GOBGP_API, "global", "rib", "add", "-a", "ipv4", FOREIGN, "nexthop", "2001:db8:0:1::6"]));
    await sleep(1_000);

    expect(await gobgp.established(node1)).toBe(true);
    expect((await neighbor()).timers?.state?.uptime).toEqual(upSince); // never re-established
    expect(await fromNode1()).toEqual([{ from: node1, nextHop: node1 }]);
    const lines = ourLines();
    expect(lines.filter((l) => l.includes("session down"))).toEqual([]);
    const reported = lines.filter((l) => l.includes("RFC 7606"));
    expect(reported).toHaveLength(1); // once per kind per session, although the route came twice
    expect(JSON.parse(reported[0] as string)).toMatchObject({ kind: "ipv6NextHopWithoutExtendedNextHop", handling: "afiSafiDisable", afi: 1, safi: 1 });
  }, 90_000);

  it("over an IPv6 session with dualStackAddressFamily extended next hop (RFC 8950) is negotiated and the same route is accepted", async () => {
    await waitFor("GoBGP: node1's IPv6 session Established", async () => ((await gobgp.established(node1v6)) ? true : undefined), 30_000, 250);
    // The first test left the route in GoBGP's RIB: GoBGP sends it on this session with its IPv6 next hop, since we
    // offered extended next hop (GoBGP offers it too on IPv6 sessions).
    const sent = async (): Promise<RouterPath[]> =>
      parseGobgpRib((await run(inNs(gobgp.ns, ["gobgp", ...GOBGP_API, "-j", "neighbor", node1v6, "adj-out", "-a", "ipv4"]))).stdout, FOREIGN);
    await waitFor("GoBGP sending the IPv4 route with its IPv6 next hop over the IPv6 session", async () => ((await sent()).length === 1 ? true : undefined), 10_000, 250);
    expect((await sent())[0]?.nextHop).toBe("2001:db8:0:1::6");
    const upSince = (await neighbor(node1v6)).timers?.state?.uptime;
    await sleep(2_000);
    expect(await gobgp.established(node1v6)).toBe(true);
    expect((await neighbor(node1v6)).timers?.state?.uptime).toEqual(upSince);
    expect(ourLines("gobgp6").filter((l) => l.includes("RFC 7606") || l.includes("session down"))).toEqual([]);
  }, 60_000);
});
