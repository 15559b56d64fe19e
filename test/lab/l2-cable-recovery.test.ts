// L2 mode after an owner's cable is out for 20 s (real ARP, nats-server, allocators and speakers from the compiled
// CLI: npm run build). Its VIP moves; once the cable is back the node must read the log again, unfence and be eligible:
// with the other two nodes crashed it is the only one left, and must claim and answer every VIP.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { L2Cluster } from "../../src/lab/l2Cluster.js";
import { labUnavailableReason } from "../../src/lab/lab.js";
import { waitFor } from "../../src/lab/run.js";
import { nodeRole } from "../../src/lab/topology.js";
import { auditThenDestroy } from "../support/labAudit.js";

const VIPS = ["198.18.0.200", "198.18.0.201", "198.18.0.202"];
const unavailable = labUnavailableReason();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(unavailable !== undefined)("L2 owner after a 20 s pulled cable", () => {
  let cluster: L2Cluster;

  beforeAll(async () => {
    cluster = await L2Cluster.start({ nodes: 3, vips: VIPS, log: pino({ level: "warn" }) });
    for (const vip of VIPS) await cluster.waitForOwner(vip, 20_000);
  }, 120_000);

  afterAll(async () => {
    await auditThenDestroy(cluster, () => cluster.destroy());
  });

  it("the owner, whose VIP moved while its cable was out, unfences once back and is eligible again", async () => {
    const vip = VIPS[0] ?? "";
    const owner = await cluster.waitForOwner(vip);
    const from = cluster.speakerLines.length;
    await cluster.lab.setLink(nodeRole(owner), false);
    try {
      expect(await cluster.waitForOwner(vip, 10_000, owner)).not.toBe(owner);
      await sleep(20_000);
    } finally {
      await cluster.lab.setLink(nodeRole(owner), true);
    }
    const mine = (): string[] => cluster.speakerLines.slice(from).filter((l) => l.node === owner).map((l) => l.line);
    try {
      await waitFor(`node${owner} unfenced`, () => (mine().some((l) => l.includes('"unfenced"')) ? true : undefined), 30_000, 100);
      const others = [1, 2, 3].filter((k) => k !== owner);
      for (const k of others) await cluster.crashNode(k);
      for (const v of VIPS) {
        // On failure the error carries the node's last lines: CI shows the summary, not the console output above.
        const got = await cluster.waitForOwner(v, 15_000).catch((err: unknown) => {
          throw new Error(`${(err as Error).message}; node${owner}'s last lines:\n${mine().slice(-15).join("\n")}`);
        });
        expect(got).toBe(owner);
      }
    } finally {
      console.log(`l2-cable-recovery: node${owner}'s log since its cable was pulled:\n${mine().join("\n")}`);
    }
  }, 150_000);
});
