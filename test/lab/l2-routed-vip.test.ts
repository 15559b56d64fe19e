import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { L2Cluster } from "../../src/lab/l2Cluster.js";
import { labUnavailableReason } from "../../src/lab/lab.js";
import { nodeRole } from "../../src/lab/topology.js";
import { auditThenDestroy } from "../support/labAudit.js";

// A VIP outside every interface subnet (198.18.5.10, while the nodes sit in 198.18.0.0/24) is answered on the
// interface that routes to it: here an on-link route 198.18.5.0/24 dev eth0 on the nodes and the client.

const VIP = "198.18.5.10";
const ROUTE = "198.18.5.0/24";
const unavailable = labUnavailableReason();

describe.skipIf(unavailable !== undefined)("L2: a VIP reached through a route, not a subnet", () => {
  let cluster: L2Cluster;

  beforeAll(async () => {
    cluster = await L2Cluster.start({ nodes: 2, vips: [VIP], log: pino({ level: "warn" }) });
    for (const role of ["client", "node1", "node2"] as const) await cluster.lab.exec(role, ["ip", "route", "add", ROUTE, "dev", "eth0"]);
  });

  afterAll(async () => {
    await auditThenDestroy(cluster, () => cluster.destroy());
  });

  it("one node answers ARP for it on the routing interface and serves HTTP through it", async () => {
    const owner = await cluster.waitForOwner(VIP, 30_000);
    const prober = cluster.lab.startProber({ url: `http://${VIP}/`, intervalMs: 20, timeoutMs: 500 });
    try {
      const ok = await prober.waitForSuccess({ timeoutMs: 10_000 });
      expect(ok.node).toBe(nodeRole(owner));
    } finally {
      await prober.stop();
    }
  });
});
