// BFD paired with BGP, end to end: real nats-server, allocator and speakers (compiled CLI: npm run build), and the
// lab's FRR router (zebra + bgpd + bfdd, `neighbor ... bfd profile lab`) peering with every node. Every BGPPeer names
// the BFDProfile "lab". The router's BFD session to each node comes Up with the profile's timers; a node whose cable
// is pulled leaves the router's ECMP set on BFD (the BGP hold time is 30 s here, so the hold timer cannot be what
// removed it); a router whose bfdd freezes is detected by the speakers, which take their BGP sessions down; a profile
// edit reaches the live BFD session without a BFD or BGP session drop. A new BGP session waits for BFD Up; FRR opens
// its BFD session to an iBGP neighbor only with the BGP session, so the speakers connect after the bound.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { BgpCluster } from "../../src/lab/bgpCluster.js";
import { frrModeArgs } from "../../src/lab/frrMode.js";
import { labUnavailableReason } from "../../src/lab/lab.js";
import { waitFor } from "../../src/lab/run.js";
import { nodeRole, roleIp } from "../../src/lab/topology.js";
import { frrRibNextHops } from "../support/frr.js";
import { auditThenDestroy } from "../support/labAudit.js";

const VIP = "198.18.100.10";
const PROFILE = "{ receiveInterval: 200, transmitInterval: 250, detectMultiplier: 4 }";
const unavailable = labUnavailableReason();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type FrrBfdPeer = {
  peer: string; status: string; id: number; "remote-id": number; uptime?: number;
  "remote-receive-interval": number; "remote-transmit-interval": number; "remote-detect-multiplier": number;
};
type Neighbor = { bgpState?: string; connectionsEstablished?: number; connectionsDropped?: number; lastNotificationReason?: string; peerBfdInfo?: { status?: string } };

// Both backends: the native speaker's BFD, and FRR's bfdd beside each speaker (--bgp-backend frr). The frozen-bfdd
// case reads the native speaker's own log lines, so it is the native backend's alone.
const BACKENDS = [{ backend: "native", args: [] }, { backend: "frr", args: frrModeArgs() }] as const;

describe.skipIf(unavailable !== undefined).each(BACKENDS)("BGP with BFD in the lab (FRR bgpd + bfdd, 3 nodes, $backend backend)", ({ backend, args }) => {
  let c: BgpCluster;
  const nodes = [1, 2, 3].map((k) => roleIp(nodeRole(k)));

  const ribNextHops = (prefix: string): Promise<string[]> => frrRibNextHops(c.router, prefix);
  const bfdPeers = async (): Promise<Map<string, FrrBfdPeer>> => {
    const list = await c.router.vtysh<FrrBfdPeer[] | Record<string, never>>("show bfd peers json");
    return new Map((Array.isArray(list) ? list : []).map((p) => [p.peer, p]));
  };
  const neighbor = async (ip: string): Promise<Neighbor | undefined> => (await c.router.vtysh<Record<string, Neighbor>>(`show bgp neighbors ${ip} json`))[ip];
  const allUp = async (): Promise<Map<string, FrrBfdPeer> | undefined> => {
    const peers = await bfdPeers();
    const bgpUp = await Promise.all(nodes.map(async (ip) => (await neighbor(ip))?.bgpState === "Established"));
    return nodes.every((ip) => peers.get(ip)?.status === "up") && bgpUp.every(Boolean) ? peers : undefined;
  };

  beforeAll(async () => {
    c = await BgpCluster.start({
      nodes: 3,
      vips: [VIP],
      log: pino({ level: "warn" }),
      holdTimeS: 30,
      bfd: { profile: PROFILE, router: { receiveMs: 300, transmitMs: 300, detectMultiplier: 3 } },
      speakerArgs: [...args],
    });
  }, 120_000);

  afterAll(async () => {
    await auditThenDestroy(c, () => c.destroy());
  });

  it("each node's BGP session at the router has BFD Up, with the profile's timers as FRR sees them", async () => {
    const peers = await waitFor("BFD and BGP up for every node", allUp, 60_000, 250);
    for (const ip of nodes) {
      const p = peers.get(ip);
      expect([p?.["remote-receive-interval"], p?.["remote-transmit-interval"], p?.["remote-detect-multiplier"]]).toEqual([200, 250, 4]);
      expect((await neighbor(ip))?.peerBfdInfo?.status).toBe("Up");
    }
    await waitFor("3 next hops for the VIP", async () => ((await ribNextHops(`${VIP}/32`)).length === 3 ? true : undefined), 30_000, 250);
    expect(await ribNextHops(`${VIP}/32`)).toEqual([...nodes].sort());
  }, 90_000);

  it.runIf(backend === "native")("a new BGP session waits for BFD; FRR's bfdd opens an iBGP neighbor's BFD session only with BGP, so each speaker connects once the router stayed silent for the bound", () => {
    for (const node of [1, 2, 3]) {
      const lines = c.speakerLines.filter((l) => l.node === node).map((l) => l.line);
      const waiting = lines.findIndex((l) => l.includes('"peer":"router",') && l.includes("waiting for the BFD session to come up"));
      const silent = lines.findIndex((l) => l.includes('"peer":"router",') && l.includes("no BFD packet from the peer: connecting without BFD Up"));
      const established = lines.findIndex((l) => l.includes('"bgpPeer":"router"') && l.includes("bgp: session established"));
      expect(waiting, `node${node} waited`).toBeGreaterThanOrEqual(0);
      expect(silent, `node${node} connected after the bound`).toBeGreaterThan(waiting);
      expect(established, `node${node} established after it`).toBeGreaterThan(silent);
    }
  });

  it("a profile edit reaches the live BFD session (Poll Sequence): no BFD or BGP session drop", async () => {
    const before = await bfdPeers();
    const bgpBefore = await Promise.all(nodes.map(neighbor));
    c.writeConfig({ bfd: { profile: "{ receiveInterval: 100, transmitInterval: 100, detectMultiplier: 3 }", router: { receiveMs: 300, transmitMs: 300, detectMultiplier: 3 } } });
    await waitFor("FRR sees 100 ms from every node", async () => {
      const p = await bfdPeers();
      return nodes.every((ip) => p.get(ip)?.["remote-receive-interval"] === 100 && p.get(ip)?.["remote-transmit-interval"] === 100) ? p : undefined;
    }, 30_000, 200);
    await sleep(1_000);
    const after = await bfdPeers();
    for (const [i, ip] of nodes.entries()) {
      expect(after.get(ip)?.status).toBe("up");
      expect(after.get(ip)?.["remote-id"]).toBe(before.get(ip)?.["remote-id"]); // the same session, never re-created
      const n = await neighbor(ip);
      expect(n?.bgpState).toBe("Established");
      expect(n?.connectionsEstablished).toBe(bgpBefore[i]?.connectionsEstablished);
      expect(n?.connectionsDropped).toBe(bgpBefore[i]?.connectionsDropped);
    }
  }, 60_000);

  it("pulling a node's cable removes it from the router's ECMP set on BFD, long before the 30 s hold time", async () => {
    const node3 = roleIp("node3");
    await waitFor("3 next hops", async () => ((await ribNextHops(`${VIP}/32`)).length === 3 ? true : undefined), 30_000, 200);
    const t0 = Date.now();
    await c.lab.setLink("node3", false);
    try {
      await waitFor("node3 out of the ECMP set", async () => (!(await ribNextHops(`${VIP}/32`)).includes(node3) ? true : undefined), 25_000, 20);
      console.log(`bgp-bfd: node3's next hop gone ${Date.now() - t0} ms after its cable was pulled (BFD 100 ms x 3 from node3)`);
      // FRR took the session down for BFD and told node3 so (it never arrived: the cable was out).
      expect((await neighbor(node3))?.lastNotificationReason).toBe("Cease/BFD Down");
      expect(await ribNextHops(`${VIP}/32`)).toEqual([roleIp("node1"), roleIp("node2")]);
    } finally {
      await c.lab.setLink("node3", true);
    }
    await waitFor("node3 back: BFD Up, BGP Established, 3 next hops", async () => ((await allUp()) && (await ribNextHops(`${VIP}/32`)).length === 3 ? true : undefined), 60_000, 250);
  }, 120_000);

  it.runIf(backend === "native")("a router whose bfdd stops sending is detected by every speaker, which takes its BGP session down (Cease BFD Down) and brings it back after BFD Up", async () => {
    const before = await Promise.all(nodes.map(neighbor));
    const from = c.speakerLines.length;
    await c.router.signalBfdd("SIGSTOP");
    try {
      await waitFor("every speaker took its BGP session down for BFD", () => {
        // The IPv4 session ("router"), whose counters are read below; "router6" goes down too, on its own time.
        const down = new Set(c.speakerLines.slice(from).filter((l) => l.line.includes('"peer":"router",') && l.line.includes("BFD session down: BGP session taken down")).map((l) => l.node));
        return down.size === 3 ? true : undefined;
      }, 20_000, 100);
    } finally {
      await c.router.signalBfdd("SIGCONT");
    }
    // Each speaker connects again only once its BFD session is Up, and FRR has a new session from it.
    await waitFor("every speaker reconnected after BFD Up", () => {
      const again = new Set(c.speakerLines.slice(from).filter((l) => l.line.includes('"peer":"router",') && l.line.includes("BFD session up: connecting")).map((l) => l.node));
      return again.size === 3 ? true : undefined;
    }, 30_000, 100);
    await waitFor("BFD and BGP up again, on new sessions", async () => {
      const now = await Promise.all(nodes.map(neighbor));
      return (await allUp()) && now.every((n, i) => (n?.connectionsEstablished ?? 0) > (before[i]?.connectionsEstablished ?? Infinity)) ? true : undefined;
    }, 60_000, 250);
    // Each speaker saw the detection time expire (diag 1) before taking its session down.
    const diag1 = c.speakerLines.slice(from).filter((l) => l.line.includes('"to":"down","diag":1')).map((l) => l.node);
    expect(new Set(diag1)).toEqual(new Set([1, 2, 3]));
  }, 120_000);
});
