import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { BgpCluster } from "../../src/lab/bgpCluster.js";
import { labUnavailableReason } from "../../src/lab/lab.js";
import { frrModeArgs } from "../../src/lab/frrMode.js";
import { waitFor } from "../../src/lab/run.js";
import { nodeRole } from "../../src/lab/topology.js";
import { getInLab } from "../support/labScrape.js";
import { sampleValue } from "../support/promText.js";
import { auditThenDestroy } from "../support/labAudit.js";

// MetalLB's BGP and BFD series, and vipmesh's NOTIFICATION counts, from speakers peering with the lab's FRR router
// (bgpd + bfdd) through a BFDProfile: up while the sessions are, and a node whose cable is pulled says its BFD and
// BGP sessions went down and that it sent Cease "BFD Down" (6/10), read inside the node's namespace. FRR mode
// (bgpd and bfdd beside each speaker) reports the same sessions from FRR; it counts no NOTIFICATIONs or BFD events.

const VIP = "198.18.100.10";
const PROFILE = "{ receiveInterval: 200, transmitInterval: 200, detectMultiplier: 3 }";
const unavailable = labUnavailableReason();

const BACKENDS = [{ backend: "native", args: [] }, { backend: "frr", args: frrModeArgs() }] as const;

describe.skipIf(unavailable !== undefined).each(BACKENDS)("BGP and BFD metrics of speakers peering with FRR in the lab ($backend backend)", ({ backend, args }) => {
  let c: BgpCluster;
  const router = "198.18.0.1"; // the lab router's IPv4 address: the BGPPeer "router"
  const scrape = async (k: number): Promise<string> => {
    const r = await getInLab(c.lab, nodeRole(k), "/metrics");
    if (r.status !== 200) throw new Error(`node${k} /metrics: ${r.status} ${r.body}`);
    return r.body;
  };
  /** The scrape, or "" while the speaker is not serving yet (it opens its port as it starts). */
  const scrapeOrEmpty = (k: number): Promise<string> => scrape(k).catch(() => "");

  beforeAll(async () => {
    c = await BgpCluster.start({
      nodes: 2, vips: [VIP], log: pino({ level: "warn" }), holdTimeS: 30,
      bfd: { profile: PROFILE, router: { receiveMs: 200, transmitMs: 200, detectMultiplier: 3 } },
      speakerArgs: ["--metrics-port", "7472", ...args],
    });
  }, 120_000);

  afterAll(async () => {
    await auditThenDestroy(c, () => c.destroy());
  });

  it("each speaker's BGP and BFD sessions are up, announcing the VIP's prefix", async () => {
    for (const k of [1, 2]) {
      const text = await waitFor(`node${k}'s BGP and BFD sessions up in its metrics`, async () => {
        const t = await scrapeOrEmpty(k);
        const up = sampleValue(t, "metallb_bgp_session_up", { peer: router }) === 1 && sampleValue(t, "metallb_bfd_session_up", { peer: router }) === 1;
        return up && sampleValue(t, "metallb_bgp_announced_prefixes_total", { peer: router }) === 1 ? t : undefined;
      }, 60_000, 250);
      expect(sampleValue(text, "metallb_speaker_announced", { protocol: "bgp", ip: VIP, node: nodeRole(k) })).toBe(1);
      expect(sampleValue(text, "metallb_bgp_updates_total", { peer: router })).toBeGreaterThanOrEqual(1);
      if (backend === "native") expect(sampleValue(text, "metallb_bfd_session_up_events", { peer: router })).toBeGreaterThanOrEqual(1);
    }
  }, 90_000);

  it.runIf(backend === "native")("a pulled cable: the node's BFD and BGP sessions go down in its metrics, with the Cease it sent counted", async () => {
    const before = await scrape(2);
    const downs = sampleValue(before, "metallb_bfd_session_down_events", { peer: router }) ?? 0;
    await c.lab.setLink(nodeRole(2), false);
    try {
      const text = await waitFor("node2's BFD session down in its metrics", async () => {
        const t = await scrape(2);
        return sampleValue(t, "metallb_bfd_session_up", { peer: router }) === 0 && sampleValue(t, "metallb_bgp_session_up", { peer: router }) === 0 ? t : undefined;
      }, 20_000, 200);
      expect(sampleValue(text, "metallb_bfd_session_down_events", { peer: router })).toBe(downs + 1);
      expect(sampleValue(text, "vipmesh_bgp_notifications_total", { peer: router, direction: "sent", code: "6", subcode: "10" })).toBeGreaterThanOrEqual(1);
      expect(sampleValue(await scrape(1), "metallb_bgp_session_up", { peer: router })).toBe(1);
    } finally {
      await c.lab.setLink(nodeRole(2), true);
    }
    await waitFor("node2's sessions up again", async () => {
      const t = await scrapeOrEmpty(2);
      return sampleValue(t, "metallb_bgp_session_up", { peer: router }) === 1 && sampleValue(t, "metallb_bfd_session_up", { peer: router }) === 1 ? true : undefined;
    }, 60_000, 250);
  }, 120_000);
});
