// BGP mode recovering from a pulled cable shorter than the hold time (real nats-server, allocator and speakers from the
// compiled CLI: npm run build; the lab's FRR router). node1's cable is out for 20 s: it is fenced and loses NATS while
// its BGP session (hold time 30 s) survives, so the router keeps its path; once the cable is back node1 withdraws
// what it sent while fenced and, caught up again, must advertise the VIP again (on the live session or a new one).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { BgpCluster } from "../../src/lab/bgpCluster.js";
import { labUnavailableReason } from "../../src/lab/lab.js";
import { waitFor } from "../../src/lab/run.js";
import { nodeRole, roleIp } from "../../src/lab/topology.js";
import { frrRibNextHops } from "../support/frr.js";
import { auditThenDestroy } from "../support/labAudit.js";

const VIP = "198.18.100.10";
const unavailable = labUnavailableReason();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Neighbor = { connectionsEstablished?: number; messageStats?: { updatesRecv?: number } };

describe.skipIf(unavailable !== undefined)("BGP mode after a pulled cable shorter than the hold time (3 nodes, FRR router)", () => {
  let c: BgpCluster;
  const nodes = [1, 2, 3].map((k) => roleIp(nodeRole(k)));

  const ribNextHops = (prefix: string): Promise<string[]> => frrRibNextHops(c.router, prefix);

  const neighbor = async (ip: string): Promise<Neighbor | undefined> => (await c.router.vtysh<Record<string, Neighbor>>(`show bgp neighbors ${ip} json`))[ip];
  // The withdraw node1 sent while fenced waits in its TCP send queue until the cable is back, so the path being there
  // proves nothing by itself: it must come with a later UPDATE (withdraw, then advertise) or on a new session.
  const advertisedAgain = async (ip: string, before: Neighbor | undefined): Promise<boolean> => {
    const now = await neighbor(ip);
    const updates = (now?.messageStats?.updatesRecv ?? 0) - (before?.messageStats?.updatesRecv ?? 0);
    const newSession = (now?.connectionsEstablished ?? 0) > (before?.connectionsEstablished ?? 0);
    return (updates >= 2 || newSession) && (await ribNextHops(`${VIP}/32`)).includes(ip);
  };

  beforeAll(async () => {
    c = await BgpCluster.start({ nodes: 3, vips: [VIP], log: pino({ level: "warn" }), holdTimeS: 30 });
  }, 120_000);

  afterAll(async () => {
    await auditThenDestroy(c, () => c.destroy());
  });

  it("node1, fenced and cut off from NATS for 20 s with its session alive, advertises the VIP again once its cable is back", async () => {
    const node1 = roleIp("node1");
    await waitFor("3 next hops for the VIP", async () => ((await ribNextHops(`${VIP}/32`)).length === 3 ? true : undefined), 60_000, 250);
    const from = c.speakerLines.length;
    const before = await neighbor(node1);
    await c.lab.setLink("node1", false);
    try {
      await waitFor("node1 fenced", () => (c.speakerLines.slice(from).some((l) => l.node === 1 && l.line.includes("fenced: stopped answering")) ? true : undefined), 10_000, 50);
      await sleep(20_000);
      expect(await ribNextHops(`${VIP}/32`)).toEqual([...nodes].sort()); // the hold time has not expired
    } finally {
      await c.lab.setLink("node1", true);
    }
    const back = Date.now();
    try {
      await waitFor("node1 unfenced", () => (c.speakerLines.slice(from).some((l) => l.node === 1 && l.line.includes('"unfenced"')) ? true : undefined), 30_000, 50);
      // A correctness bound, not a performance target: expected within about a second of catching up.
      await waitFor("node1's path withdrawn and advertised again at the router", async () => ((await advertisedAgain(node1, before)) ? true : undefined), 10_000, 100);
      console.log(`bgp-cable-recovery: node1's path back ${Date.now() - back} ms after its cable`);
      await sleep(2_000);
      expect(await ribNextHops(`${VIP}/32`)).toEqual([...nodes].sort());
    } finally {
      const lines = c.speakerLines.slice(from).filter((l) => l.node === 1).map((l) => l.line);
      console.log(`bgp-cable-recovery: node1's log since the cable was pulled:\n${lines.join("\n")}`);
    }
  }, 120_000);
});
