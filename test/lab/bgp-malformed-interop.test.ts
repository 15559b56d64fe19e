// RFC 7606 (issue 10 items 5 and 6) with GoBGP and BIRD 2 on the other end: the speaker (compiled CLI, with NATS and
// an allocator) peers with each router through scripts/lab/bgp-injector.mjs running in node1's namespace, which slips
// the malformed UPDATEs of test/support/bgpInjector.ts into the router's stream. Each session stays Established
// (no NOTIFICATION passes the relay, the router keeps the VIP from node1) and the speaker logs each kind once.
// The same cases against FRR, with the counters read directly, are in bgp-malformed-update.test.ts.
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BGP_LAB_ASN, BgpCluster } from "../../src/lab/bgpCluster.js";
import { labUnavailableReason } from "../../src/lab/lab.js";
import { LabPeerRouter } from "../../src/lab/peerRouter.js";
import { waitFor } from "../../src/lab/run.js";
import { roleIp } from "../../src/lab/topology.js";
import { Injector, MALFORMED_UPDATES, injectAll } from "../support/bgpInjector.js";
import { auditThenDestroy } from "../support/labAudit.js";

const VIP = "198.18.100.30";
const PEER_ASN = 64700;
const ROUTERS = [
  { kind: "gobgp", host: 6, relayPort: 1791 },
  { kind: "bird", host: 7, relayPort: 1792 },
] as const;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(labUnavailableReason() !== undefined)("RFC 7606 with GoBGP and BIRD 2: malformed UPDATEs slipped into live sessions", () => {
  let c: BgpCluster;
  const node1 = roleIp("node1");
  const routers = new Map<string, { router: LabPeerRouter; injector: Injector }>();
  const lines = (peer: string): string[] => c.speakerLines.map((l) => l.line).filter((l) => l.includes(`"bgpPeer":"${peer}"`));

  beforeAll(async () => {
    c = await BgpCluster.start({ nodes: 1, vips: [VIP], log: pino({ level: "warn" }) });
    for (const r of ROUTERS) {
      const router = new LabPeerRouter(c.lab, { kind: r.kind, host: r.host, asn: PEER_ASN, neighbors: [{ address: node1, asn: BGP_LAB_ASN }] });
      await router.start();
      const injector = new Injector(router.v4, node1, { ns: c.lab.ns("node1"), listenAddress: node1, listenPort: r.relayPort });
      await injector.port();
      routers.set(r.kind, { router, injector });
    }
    // The BGPPeers point at the relays on node1's own address; the routers see node1 as their neighbor.
    c.writeConfig({
      extraManifests: ROUTERS.map((r) => `---
kind: BGPPeer
metadata: { name: ${r.kind}, namespace: metallb-system }
spec: { myASN: ${BGP_LAB_ASN}, peerASN: ${PEER_ASN}, peerAddress: "${node1}", peerPort: ${r.relayPort}, holdTime: 9s }
`).join(""),
    });
  }, 120_000);

  afterAll(async () => {
    for (const { router, injector } of routers.values()) {
      injector.stop();
      await router.stop();
    }
    await auditThenDestroy(c, () => c.destroy());
  });

  it.each(ROUTERS.map((r) => r.kind))("%s: the session stays Established, the VIP stays, each kind is logged once", async (kind) => {
    const { router, injector } = routers.get(kind) as { router: LabPeerRouter; injector: Injector };
    await waitFor(`${kind}: node1 Established`, async () => ((await router.established(node1)) ? true : undefined), 30_000, 250);
    await waitFor(`${kind}: the VIP from node1`, async () => ((await router.paths(`${VIP}/32`)).length === 1 ? true : undefined), 20_000, 250);

    injectAll(injector);
    const kinds = [...new Set(MALFORMED_UPDATES.map((m) => m.kind))].sort();
    const reported = (): string[] => lines(kind).filter((l) => l.includes("RFC 7606")).map((l) => (JSON.parse(l) as { kind: string }).kind);
    await waitFor(`${kind}: every kind reported (or the session reset)`, async () => (reported().length >= kinds.length || injector.reset ? true : undefined), 15_000, 100);
    await sleep(1_500);

    expect(injector.events.filter((e) => e.event === "notification" || e.event === "closed")).toEqual([]);
    expect(lines(kind).filter((l) => l.includes("session down"))).toEqual([]);
    expect(reported().sort()).toEqual(kinds);
    expect(await router.established(node1)).toBe(true);
    expect(await router.paths(`${VIP}/32`)).toEqual([{ from: node1, nextHop: node1 }]);
  }, 60_000);
});
