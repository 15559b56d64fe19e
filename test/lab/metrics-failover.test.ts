import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { ALLOCATOR_METRICS_PORT_BASE, L2Cluster } from "../../src/lab/l2Cluster.js";
import { labUnavailableReason } from "../../src/lab/lab.js";
import { waitFor } from "../../src/lab/run.js";
import { nodeRole } from "../../src/lab/topology.js";
import { healPartition, partitionFromNats } from "../../src/lab/faults.js";
import { getInLab } from "../support/labScrape.js";
import { samples, sampleValue } from "../support/promText.js";
import { auditThenDestroy } from "../support/labAudit.js";

// The speakers' /readyz and /metrics, read inside each node's namespace while the lab cuts a VIP owner off from
// NATS: the survivors' failovers, announcements and membership move; the cut-off node, fenced and dead to the
// others, says it is not ready and why; it is ready again once the log is back.

const VIPS = ["198.18.0.200", "198.18.0.201", "198.18.0.202"];
const NODES = [1, 2, 3];
const unavailable = labUnavailableReason();

describe.skipIf(unavailable !== undefined)("speaker metrics and readiness while the lab fails a node", () => {
  let cluster: L2Cluster;
  const scrape = async (k: number): Promise<string> => {
    const r = await getInLab(cluster.lab, nodeRole(k), "/metrics");
    if (r.status !== 200) throw new Error(`node${k} /metrics: ${r.status} ${r.body}`);
    return r.body;
  };
  const announcedBy = (text: string): number => samples(text).filter((s) => s.name === "metallb_speaker_announced" && s.value === 1).length;

  beforeAll(async () => {
    cluster = await L2Cluster.start({ nodes: 3, vips: VIPS, log: pino({ level: "warn" }), speakerArgs: ["--metrics-port", "7472"] });
    for (const vip of VIPS) await cluster.waitForOwner(vip, 20_000);
  });

  afterAll(async () => {
    await auditThenDestroy(cluster, () => cluster.destroy());
  });

  it("every speaker is ready and its series add up to the cluster", async () => {
    for (const k of NODES) await waitFor(`node${k} ready`, async () => ((await getInLab(cluster.lab, nodeRole(k), "/readyz")).status === 200 ? true : undefined), 20_000, 200);
    // Converged: every VIP announced by one node, and every view has heard all three (a busy box may show one
    // suspect for a moment).
    const texts = await waitFor("every VIP announced and every node alive in every view", async () => {
      const t = await Promise.all(NODES.map(scrape));
      const announced = t.map(announcedBy).reduce((a, b) => a + b, 0);
      return announced === VIPS.length && t.every((x) => sampleValue(x, "vipmesh_membership_nodes", { status: "alive" }) === 3) ? t : undefined;
    }, 20_000, 200);
    expect(texts.map(announcedBy).reduce((a, b) => a + b, 0)).toBe(VIPS.length);
    for (const t of texts) {
      expect(sampleValue(t, "vipmesh_membership_nodes", { status: "alive" })).toBe(3);
      expect(sampleValue(t, "vipmesh_fenced")).toBe(0);
      expect(sampleValue(t, "vipmesh_vips_without_owner")).toBe(0);
    }
  });

  it("both allocators serve /metrics, each on its own port of the nats namespace", async () => {
    for (const i of [1, 2]) {
      const r = await waitFor(`allocator${i} /metrics`, async () => {
        const a = await getInLab(cluster.lab, "nats", "/metrics", ALLOCATOR_METRICS_PORT_BASE + i);
        return a.status === 200 ? a : undefined;
      }, 20_000, 200);
      expect(sampleValue(r.body, "metallb_allocator_addresses_in_use_total", { pool: "lab" }), `allocator${i}`).toBe(VIPS.length);
    }
  });

  it("a node cut off from NATS: the survivors' series move, and the cut-off node says it is fenced", async () => {
    const victim = await cluster.waitForOwner(VIPS[0] ?? "");
    const survivors = NODES.filter((k) => k !== victim);
    const before = new Map(await Promise.all(survivors.map(async (k) => [k, await scrape(k)] as const)));
    const moving = announcedBy(await scrape(victim));
    expect(moving).toBeGreaterThan(0);
    await partitionFromNats(cluster.lab, nodeRole(victim));
    try {
      const ready = await waitFor("the cut-off node's /readyz to say it is fenced", async () => {
        const r = await getInLab(cluster.lab, nodeRole(victim), "/readyz");
        return r.status === 503 && r.body.includes("speaker: fenced") ? r : undefined;
      }, 20_000, 200);
      expect(ready.body).toMatch(/^speaker: fenced \(cut off from the log/m);
      const fenced = await scrape(victim);
      expect(sampleValue(fenced, "vipmesh_fenced"), "vipmesh_fenced of the cut-off node").toBe(1);
      expect(announcedBy(fenced), "VIPs the cut-off node announces").toBe(0);
      expect(samples(fenced).filter((s) => s.name === "vipmesh_fence_episodes_total").reduce((a, s) => a + s.value, 0), "fence episodes of the cut-off node").toBe(1);
      expect((await getInLab(cluster.lab, nodeRole(victim), "/healthz")).status).toBe(200);

      const after = await waitFor("the survivors to announce every VIP", async () => {
        const texts = new Map(await Promise.all(survivors.map(async (k) => [k, await scrape(k)] as const)));
        return [...texts.values()].map(announcedBy).reduce((a, b) => a + b, 0) === VIPS.length ? texts : undefined;
      }, 20_000, 200);
      for (const k of survivors) {
        const was = before.get(k) ?? "";
        const now = after.get(k) ?? "";
        expect(sampleValue(now, "vipmesh_failovers_total", { reason: "owner-dead" }), `node${k} failovers`).toBe((sampleValue(was, "vipmesh_failovers_total", { reason: "owner-dead" }) ?? 0) + moving);
        expect(sampleValue(now, "vipmesh_membership_nodes", { status: "dead" }), `node${k} sees the victim dead`).toBe(1);
        expect(sampleValue(now, "vipmesh_membership_nodes", { status: "alive" }), `node${k} sees two alive`).toBe(2);
        expect((await getInLab(cluster.lab, nodeRole(k), "/readyz")).status).toBe(200);
      }
      const claimsWon = survivors.map((k) => (sampleValue(after.get(k) ?? "", "vipmesh_vip_claims_total", { result: "won" }) ?? 0) - (sampleValue(before.get(k) ?? "", "vipmesh_vip_claims_total", { result: "won" }) ?? 0));
      expect(claimsWon.reduce((a, b) => a + b, 0), "VIP claims the survivors won").toBe(moving);
    } finally {
      await healPartition(cluster.lab, nodeRole(victim));
    }
    await waitFor("the healed node to be ready again", async () => ((await getInLab(cluster.lab, nodeRole(victim), "/readyz")).status === 200 ? true : undefined), 30_000, 200);
    expect(sampleValue(await scrape(victim), "vipmesh_fenced")).toBe(0);
  });
});
