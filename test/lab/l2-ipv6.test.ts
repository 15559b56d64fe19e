import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { L2Cluster } from "../../src/lab/l2Cluster.js";
import { labUnavailableReason } from "../../src/lab/lab.js";
import { nodeRole } from "../../src/lab/topology.js";
import type { ArpCapture } from "../../src/lab/capture.js";
import { auditThenDestroy } from "../support/labAudit.js";

// An IPv6 VIP end to end: allocated on the log, answered with NDP by exactly one node, reachable over HTTP, and
// taken over by another node when its owner crashes. Real NDP between namespaces (ndisc6 from the client).

const VIP = "2001:db8:0:1::200";
const unavailable = labUnavailableReason();

describe.skipIf(unavailable !== undefined)("L2 with an IPv6 VIP", () => {
  let cluster: L2Cluster;
  let capture: ArpCapture;

  beforeAll(async () => {
    cluster = await L2Cluster.start({ nodes: 3, vips: [VIP], log: pino({ level: "warn" }) });
    capture = await cluster.lab.startCapture();
  });

  afterAll(async () => {
    await auditThenDestroy(cluster, () => cluster.destroy());
  });

  it("one node answers neighbour solicitations for the VIP and serves HTTP through it", async () => {
    const owner = await cluster.waitForOwner(VIP, 30_000);
    const prober = cluster.lab.startProber({ url: `http://[${VIP}]/`, intervalMs: 20, timeoutMs: 500 });
    try {
      const ok = await prober.waitForSuccess({ timeoutMs: 10_000 });
      expect(ok.node).toBe(nodeRole(owner));
    } finally {
      await prober.stop();
    }
    const answerers = new Set((capture.answersByVip([VIP]).get(VIP) ?? []).map((a) => a.mac));
    expect([...answerers]).toEqual([cluster.lab.nodeMac(owner)]);
  });

  it("a crashed owner is replaced and requests succeed through the new owner", async () => {
    const owner = await cluster.waitForOwner(VIP);
    const prober = cluster.lab.startProber({ url: `http://[${VIP}]/`, intervalMs: 20, timeoutMs: 500 });
    try {
      await prober.waitForSuccess({ timeoutMs: 10_000 });
      const crashedAt = await cluster.crashNode(owner);
      const ok = await prober.waitForSuccess({ after: crashedAt, timeoutMs: 5_000 });
      expect(ok.node).not.toBe(nodeRole(owner));
      expect(await cluster.waitForOwner(VIP, 5_000, owner)).not.toBe(owner);
    } finally {
      await prober.stop();
    }
    expect(capture.conflicts(40, [VIP])).toEqual([]);
  });
});
