// BFD flap dampening, end to end: real nats-server, allocator and speakers (compiled CLI: npm run build), and the
// lab's FRR router (bgpd + bfdd) peering with every node, every BGPPeer naming the BFDProfile "lab". A node whose
// cable is pulled and put back again and again: without dampening it leaves the router's ECMP set at each pull and
// rejoins after each; with the profile's dampening annotations (vipmesh.io/bfd-dampening-*) the flap that takes the
// penalty over the suppress threshold leaves it out of the ECMP set, its BGP session held down although its cable is
// back and BFD comes Up, until the penalty has decayed to the reuse threshold. Native backend (FRR mode: docs/bgp.md).
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { BgpCluster } from "../../src/lab/bgpCluster.js";
import { labUnavailableReason } from "../../src/lab/lab.js";
import { waitFor } from "../../src/lab/run.js";
import { nodeRole, roleIp } from "../../src/lab/topology.js";
import { frrRibNextHops } from "../support/frr.js";
import { auditThenDestroy } from "../support/labAudit.js";

const VIP = "198.18.100.10";
const PROFILE = "{ receiveInterval: 300, transmitInterval: 300, detectMultiplier: 3 }";
const ROUTER = { receiveMs: 300, transmitMs: 300, detectMultiplier: 3 };
// Half-life 20 s, penalty 1000, suppress 1500, reuse 1000: one flap is tolerated; a second within ~11 s suppresses,
// for 20 s x log2(penalty / 1000) after it (about 17 s for a second flap 6 s after the first).
const DAMPENING = {
  "vipmesh.io/bfd-dampening-half-life": "20s",
  "vipmesh.io/bfd-dampening-suppress-threshold": "1500",
  "vipmesh.io/bfd-dampening-reuse-threshold": "1000",
  "vipmesh.io/bfd-dampening-max-suppress-time": "60s",
};
const unavailable = labUnavailableReason();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(unavailable !== undefined)("BFD flap dampening in the lab (FRR bgpd + bfdd, 3 nodes, native backend)", () => {
  let c: BgpCluster;
  const inEcmp = async (k: number): Promise<boolean> => (await frrRibNextHops(c.router, `${VIP}/32`)).includes(roleIp(nodeRole(k)));
  const lines = (k: number, from: number, msg: string): string[] => c.speakerLines.slice(from).filter((l) => l.node === k && l.line.includes('"peer":"router",') && l.line.includes(msg)).map((l) => l.line);

  const routerBfdUp = async (k: number): Promise<boolean> => {
    const peers = await c.router.vtysh<{ peer: string; status: string }[] | Record<string, never>>("show bfd peers json");
    return (Array.isArray(peers) ? peers : []).some((p) => p.peer === roleIp(nodeRole(k)) && p.status === "up");
  };

  /**
   * Once the router's BFD session to node k is Up (FRR opens it only with the BGP session), pulls node k's cable until
   * the router has dropped it from the ECMP set, then puts it back.
   */
  async function flap(k: number): Promise<void> {
    await waitFor(`the router's BFD session to node${k} Up`, async () => ((await routerBfdUp(k)) ? true : undefined), 30_000, 100);
    const from = c.speakerLines.length;
    await c.lab.setLink(nodeRole(k), false);
    try {
      await waitFor(`node${k} out of the ECMP set`, async () => (!(await inEcmp(k)) ? true : undefined), 10_000, 50);
      // The speaker's own detection too (the same 900 ms, on its clock): its Up -> Down is the flap it counts.
      const sawDown = (): true | undefined => (c.speakerLines.slice(from).some((l) => l.node === k && l.line.includes("bfd: session state") && l.line.includes('"peer":"198.18.0.1"') && l.line.includes('"to":"down"')) ? true : undefined);
      await waitFor(`node${k}'s BFD session to the router Down`, sawDown, 10_000, 50);
    } finally {
      await c.lab.setLink(nodeRole(k), true);
    }
  }

  beforeAll(async () => {
    c = await BgpCluster.start({ nodes: 3, vips: [VIP], log: pino({ level: "warn" }), holdTimeS: 30, bfd: { profile: PROFILE, router: ROUTER } });
    await waitFor("3 next hops for the VIP", async () => ((await frrRibNextHops(c.router, `${VIP}/32`)).length === 3 ? true : undefined), 90_000, 250);
  }, 150_000);

  afterAll(async () => {
    await auditThenDestroy(c, () => c.destroy());
  });

  it("without dampening (MetalLB's behaviour) a node whose link flaps three times rejoins the ECMP set after each flap", async () => {
    for (let i = 1; i <= 3; i++) {
      await flap(1);
      const back = Date.now();
      await waitFor(`node1 back in the ECMP set after flap ${i}`, async () => ((await inEcmp(1)) ? true : undefined), 30_000, 100);
      console.log(`bgp-bfd-dampening: undamped flap ${i}: node1 back ${Date.now() - back} ms after its cable`);
    }
  }, 150_000);

  it("with dampening, the second flap within the window keeps the node out of the ECMP set until the penalty decays, then it rejoins", async () => {
    c.writeConfig({ bfd: { profile: PROFILE, router: ROUTER, annotations: DAMPENING } });
    await waitFor("the profile's dampening applied on node2", () => (c.speakerLines.some((l) => l.node === 2 && l.line.includes("bfd: profile applied to the live session")) ? true : undefined), 20_000, 100);
    const from = c.speakerLines.length;
    await flap(2);
    await waitFor("node2 back after the first flap (penalty 1000, below 1500)", async () => ((await inEcmp(2)) ? true : undefined), 30_000, 100);
    await flap(2);
    const secondFlap = Date.now();
    const suppressed = await waitFor("node2 suppressed", () => lines(2, from, "suppressed by dampening")[0], 10_000, 50);
    const reuseInMs = Number(/"reuseInMs":(\d+)/.exec(suppressed)?.[1]);
    const reuseAt = Number(/"time":(\d+)/.exec(suppressed)?.[1]) + reuseInMs; // the speaker's clock: this machine's
    console.log(`bgp-bfd-dampening: node2 suppressed: ${suppressed}`);
    expect(reuseInMs).toBeGreaterThan(5_000);
    expect(reuseInMs).toBeLessThanOrEqual(60_000);
    // Its cable is back and BFD comes Up again, yet the BGP session stays down: out of the ECMP set meanwhile.
    while (Date.now() < reuseAt - 500) {
      expect(await inEcmp(2)).toBe(false);
      await sleep(250);
    }
    // Whether FRR's bfdd kept its session and BFD came Up meanwhile (then BGP was held against BFD Up) is FRR's choice.
    const bfdUp = c.speakerLines.slice(from).filter((l) => l.node === 2 && l.line.includes("bfd: session state") && l.line.includes('"to":"up"')).length;
    console.log(`bgp-bfd-dampening: node2's BFD sessions came Up ${bfdUp} times since the first flap`);
    await waitFor("node2 back once the penalty decayed", async () => ((await inEcmp(2)) ? true : undefined), 30_000, 100);
    console.log(`bgp-bfd-dampening: node2 back ${Date.now() - secondFlap} ms after the second flap, ${Date.now() - reuseAt} ms after the reuse time the speaker logged (${reuseInMs} ms after its suppression)`);
    expect(Date.now()).toBeGreaterThanOrEqual(reuseAt - 500);
    expect(lines(2, from, "dampening ended").length).toBeGreaterThan(0);
    // The other nodes never left.
    expect(await inEcmp(1)).toBe(true);
    expect(await inEcmp(3)).toBe(true);
  }, 150_000);
});
