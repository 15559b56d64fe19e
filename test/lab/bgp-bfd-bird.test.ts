// BFD paired with BGP against BIRD 2 (`protocol bfd`, `bfd on` in each `protocol bgp`) on the node segment: real
// nats-server, allocator and speakers (compiled CLI: npm run build). The speakers' BGPPeer to BIRD names a BFDProfile
// whose timers BIRD's session shows (interval = max(BIRD's tx, our receive interval), timeout = our multiplier x
// max(BIRD's rx, our transmit interval)); a node whose cable is pulled loses its path at BIRD on BFD, with a BGP hold
// time of 30 s, and gets it back when the cable is in again. The profile asks for echo mode: each speaker says it
// does not run it. With the profile's flap dampening annotations, a node whose cable is pulled twice in a short
// time stays away at BIRD, its BFD session Up again, until the penalty has decayed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { BGP_LAB_ASN, BgpCluster } from "../../src/lab/bgpCluster.js";
import type { BirdDaemon } from "../../src/lab/birdDaemon.js";
import { labUnavailableReason } from "../../src/lab/lab.js";
import { LabPeerRouter } from "../../src/lab/peerRouter.js";
import { waitFor } from "../../src/lab/run.js";
import { nodeRole, roleIp } from "../../src/lab/topology.js";
import { auditThenDestroy } from "../support/labAudit.js";

const VIP = "198.18.100.10";
const BIRD_ASN = 64700;
const NODES = [1, 2];
const unavailable = labUnavailableReason();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

// Flap dampening (vipmesh's annotations): half-life 20 s, suppress 1500, reuse 1000: a second flap soon after the
// first suppresses the session.
const DAMPENING = `, annotations: { "vipmesh.io/bfd-dampening-half-life": "20s", "vipmesh.io/bfd-dampening-suppress-threshold": "1500", "vipmesh.io/bfd-dampening-reuse-threshold": "1000" }`;

const manifests = (address: string, annotations = ""): string => `---
kind: BGPPeer
metadata: { name: bird, namespace: metallb-system }
spec: { myASN: ${BGP_LAB_ASN}, peerASN: ${BIRD_ASN}, peerAddress: "${address}", holdTime: 30s, bfdProfile: slow-rx }
---
kind: BFDProfile
metadata: { name: slow-rx, namespace: metallb-system${annotations} }
spec: { receiveInterval: 500, transmitInterval: 400, detectMultiplier: 3, echoMode: true }
`;

describe.skipIf(unavailable !== undefined)("BGP with BFD against BIRD 2 (2 nodes)", () => {
  let c: BgpCluster;
  let bird: LabPeerRouter;
  const daemon = (): BirdDaemon => bird.daemon as BirdDaemon;
  const nodes = NODES.map((k) => roleIp(nodeRole(k)));
  const pathsFrom = async (): Promise<string[]> => (await bird.paths(`${VIP}/32`)).map((p) => p.from);

  beforeAll(async () => {
    c = await BgpCluster.start({ nodes: NODES.length, vips: [VIP], log: pino({ level: "warn" }) });
    bird = new LabPeerRouter(c.lab, { kind: "bird", host: 4, asn: BIRD_ASN, holdTimeS: 30, neighbors: nodes.map((address) => ({ address, asn: BGP_LAB_ASN })), bfd: { intervalMs: 300, multiplier: 3 } });
    await bird.start();
    c.writeConfig({ extraManifests: manifests(bird.v4) });
  }, 120_000);

  afterAll(async () => {
    await bird?.stop();
    await auditThenDestroy(c, () => c.destroy());
  });

  it("BIRD's BFD session to each node is Up with the profile's timers, and BIRD holds the VIP from both", async () => {
    const sessions = await waitFor("BIRD: BFD Up to both nodes", async () => {
      const s = await daemon().bfdSessions();
      return nodes.every((ip) => s.get(ip)?.state === "Up") ? s : undefined;
    }, 30_000, 250);
    for (const ip of nodes) expect([sessions.get(ip)?.intervalS, sessions.get(ip)?.timeoutS]).toEqual([0.5, 1.2]);
    await waitFor("the VIP from both nodes", async () => ((await pathsFrom()).length === 2 ? true : undefined), 30_000, 250);
  }, 60_000);

  it("each speaker's BGP session to BIRD waited for BFD Up (BIRD opens its BFD session with the BGP protocol), never connecting before it", () => {
    for (const node of NODES) {
      const lines = c.speakerLines.filter((l) => l.node === node).map((l) => l.line);
      const waiting = lines.findIndex((l) => l.includes('"peer":"bird",') && l.includes("waiting for the BFD session to come up"));
      const up = lines.findIndex((l) => l.includes('"peer":"bird",') && l.includes("BFD session up: connecting"));
      const established = lines.findIndex((l) => l.includes('"bgpPeer":"bird"') && l.includes("bgp: session established"));
      expect(waiting, `node${node} waited`).toBeGreaterThanOrEqual(0);
      expect(up, `node${node} connected on BFD Up`).toBeGreaterThan(waiting);
      expect(established, `node${node} established after it`).toBeGreaterThan(up);
      expect(lines.some((l) => l.includes('"peer":"bird",') && l.includes("no BFD packet from the peer"))).toBe(false);
    }
  });

  it("the profile's echoMode is reported as not supported by each speaker (control packets still run)", () => {
    const said = c.speakerLines.filter((l) => l.line.includes("asks for echo mode") && l.line.includes('"reason":"notSupported"') && l.line.includes('"peer":"bird"'));
    expect(new Set(said.map((l) => l.node))).toEqual(new Set(NODES));
  });

  it("a pulled cable takes the node's path away at BIRD on BFD, long before the 30 s hold time; it returns with the cable", async () => {
    const t0 = Date.now();
    await c.lab.setLink("node2", false);
    try {
      await waitFor("node2's path gone at BIRD", async () => (!(await pathsFrom()).includes(roleIp("node2")) ? true : undefined), 20_000, 20);
      console.log(`bgp-bfd-bird: node2's path gone ${Date.now() - t0} ms after its cable was pulled (BFD timeout 1.2 s at BIRD)`);
      expect((await daemon().bfdSessions()).get(roleIp("node2"))?.state).not.toBe("Up");
      expect(await pathsFrom()).toEqual([roleIp("node1")]);
    } finally {
      await c.lab.setLink("node2", true);
    }
    await waitFor("node2's path back at BIRD", async () => ((await pathsFrom()).length === 2 ? true : undefined), 60_000, 250);
  }, 90_000);

  it("with the profile's dampening, a second pull soon after the first keeps node1's path away at BIRD while BFD is Up again, until the penalty decays", async () => {
    const from = c.speakerLines.length;
    c.writeConfig({ extraManifests: manifests(bird.v4, DAMPENING) });
    await waitFor("the dampening applied on node1", () => (c.speakerLines.slice(from).some((l) => l.node === 1 && l.line.includes('"peer":"bird",') && l.line.includes("profile applied to the live session")) ? true : undefined), 20_000, 100);
    const bfdUp = async (): Promise<boolean> => (await daemon().bfdSessions()).get(roleIp("node1"))?.state === "Up";
    const pull = async (): Promise<void> => {
      await waitFor("BIRD's BFD session to node1 Up", async () => ((await bfdUp()) ? true : undefined), 30_000, 100);
      const since = c.speakerLines.length;
      await c.lab.setLink("node1", false);
      try {
        await waitFor("node1's path gone at BIRD", async () => (!(await pathsFrom()).includes(roleIp("node1")) ? true : undefined), 20_000, 50);
        const sawDown = (): true | undefined => (c.speakerLines.slice(since).some((l) => l.node === 1 && l.line.includes("bfd: session state") && l.line.includes(`"peer":"${bird.v4}"`) && l.line.includes('"to":"down"')) ? true : undefined);
        await waitFor("node1's BFD session to BIRD Down", sawDown, 10_000, 50);
      } finally {
        await c.lab.setLink("node1", true);
      }
    };
    await pull();
    await waitFor("node1's path back after the first pull (penalty 1000)", async () => ((await pathsFrom()).includes(roleIp("node1")) ? true : undefined), 60_000, 100);
    await pull();
    const pulled = Date.now();
    const line = await waitFor("node1 suppressed", () => c.speakerLines.slice(from).find((l) => l.node === 1 && l.line.includes('"peer":"bird",') && l.line.includes("suppressed by dampening"))?.line, 10_000, 50);
    const reuseInMs = Number(/"reuseInMs":(\d+)/.exec(line)?.[1]);
    const reuseAt = Number(/"time":(\d+)/.exec(line)?.[1]) + reuseInMs; // the speaker's clock: this machine's
    expect(reuseInMs).toBeGreaterThan(5_000);
    // BIRD's BFD session comes Up again with the cable, and still no BGP session: BFD is not trusted meanwhile.
    await waitFor("BIRD's BFD session to node1 Up again", async () => ((await bfdUp()) ? true : undefined), 20_000, 100);
    while (Date.now() < reuseAt - 500) {
      expect(await pathsFrom()).toEqual([roleIp("node2")]);
      await sleep(250);
    }
    await waitFor("node1's path back once the penalty decayed", async () => ((await pathsFrom()).includes(roleIp("node1")) ? true : undefined), 30_000, 100);
    console.log(`bgp-bfd-bird: node1's path back ${Date.now() - pulled} ms after the second pull, ${Date.now() - reuseAt} ms after the reuse time the speaker logged (${reuseInMs} ms after its suppression)`);
    expect(Date.now()).toBeGreaterThanOrEqual(reuseAt - 500);
  }, 150_000);
});
