import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { L2Cluster } from "../../src/lab/l2Cluster.js";
import { labUnavailableReason } from "../../src/lab/lab.js";
import { nodeRole } from "../../src/lab/topology.js";
import { healPartition, partitionFromNats } from "../../src/lab/faults.js";
import type { ArpCapture } from "../../src/lab/capture.js";
import { replayCommand } from "../../src/cli/replayCommand.js";
import { rollingRestart } from "../../src/lab/rollingRestart.js";
import { auditThenDestroy } from "../support/labAudit.js";

// Faults with one NATS server: a node cut off from NATS only, a node's link down, a rolling restart.
// Real ARP between namespaces; a capture on the switch checks that no VIP is ever answered by two nodes.

const VIPS = ["198.18.0.200", "198.18.0.201", "198.18.0.202"];
const unavailable = labUnavailableReason();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Line = { node: number; msg: string; time: number; vip?: string };

describe.skipIf(unavailable !== undefined)("L2 faults in the lab", () => {
  let cluster: L2Cluster;
  let capture: ArpCapture;
  const handovers: [number, number][] = [];
  const lines = (): Line[] =>
    cluster.speakerLines.flatMap(({ node, line }) => {
      try {
        const j = JSON.parse(line) as { msg: string; time: number; vip?: string };
        return [{ node, msg: j.msg, time: j.time, ...(j.vip ? { vip: j.vip } : {}) }];
      } catch {
        return [];
      }
    });

  beforeAll(async () => {
    // Speakers restart in place on SIGTERM (an upgrade): the rolling restart below must move no VIP.
    cluster = await L2Cluster.start({ nodes: 3, vips: VIPS, log: pino({ level: "warn" }), speakerArgs: ["--on-sigterm", "restart"] });
    capture = await cluster.lab.startCapture();
    for (const vip of VIPS) await cluster.waitForOwner(vip, 20_000);
    const arping = cluster.lab.spawn("client", ["arping", "-q", "-W", "0.05", "-i", "eth0", VIPS[0] ?? ""], { name: "arping-loop" });
    void arping;
  });

  afterAll(async () => {
    await auditThenDestroy(cluster, () => cluster.destroy());
  });

  it("a node cut off from NATS stops answering before the others claim its VIPs", async () => {
    const vip = VIPS[0] ?? "";
    const owner = await cluster.waitForOwner(vip);
    const cutAt = Date.now();
    await partitionFromNats(cluster.lab, nodeRole(owner));
    try {
      const next = await cluster.waitForOwner(vip, 5_000, owner);
      await sleep(300);
      const fenced = lines().find((l) => l.node === owner && l.msg === "fenced: stopped answering" && l.time >= cutAt);
      const claimed = lines().find((l) => l.node === next && l.msg === "claimed VIP" && l.vip === vip && l.time >= cutAt);
      expect(fenced).toBeDefined();
      expect(claimed).toBeDefined();
      expect(fenced?.time ?? Infinity).toBeLessThan(claimed?.time ?? 0);
    } finally {
      await healPartition(cluster.lab, nodeRole(owner));
    }
    // Healed, it catches up, unfences, and takes nothing back.
    await sleep(6_000);
    expect(lines().some((l) => l.node === owner && l.msg === "unfenced" && l.time >= cutAt)).toBe(true);
    expect(await cluster.resolveOwner(vip)).not.toBe(owner);
  });

  it("an owner whose link goes down is replaced, and requests succeed through the new owner", async () => {
    const vip = VIPS[1] ?? "";
    const prober = cluster.lab.startProber({ url: `http://${vip}/`, intervalMs: 20, timeoutMs: 500 });
    try {
      const owner = await cluster.waitForOwner(vip);
      await prober.waitForSuccess({ timeoutMs: 10_000 });
      await cluster.lab.setLink(nodeRole(owner), false);
      const downAt = Date.now();
      const ok = await prober.waitForSuccess({ after: downAt, timeoutMs: 5_000 });
      expect(ok.node).not.toBe(nodeRole(owner));
      expect(ok.t + ok.ms - downAt).toBeLessThan(5_000);
      await cluster.lab.setLink(nodeRole(owner), true);
    } finally {
      await prober.stop();
    }
  });

  it("a rolling restart of every speaker loses no probe at 100 per second and moves no VIP", async () => {
    await sleep(3_000);
    const prober = cluster.lab.startProber({ url: `http://${VIPS[2] ?? ""}/`, intervalMs: 10, timeoutMs: 1_000 });
    try {
      await prober.waitForSuccess({ timeoutMs: 10_000 });
      const owners = await Promise.all(VIPS.map((vip) => cluster.resolveOwner(vip)));
      const claimsBefore = (await replayCommand({ nats: await cluster.hostNatsUrls(), security: cluster.lab.natsClient(), vip: null, json: true }, () => undefined)).filter((r) => r.kind === "owner-changed").length;
      const start = Date.now();
      handovers.push(...(await rollingRestart(cluster, 3)));
      await sleep(1_000);
      expect(await Promise.all(VIPS.map((vip) => cluster.resolveOwner(vip)))).toEqual(owners);
      const rows = await replayCommand({ nats: await cluster.hostNatsUrls(), security: cluster.lab.natsClient(), vip: null, json: true }, () => undefined);
      expect(rows.filter((r) => r.kind === "owner-changed").length).toBe(claimsBefore);
      expect(rows.filter((r) => r.kind === "node-restarting" && r.time >= start).length).toBe(3);
      const probes = prober.between(start, Date.now());
      expect(probes.length).toBeGreaterThan(300);
      expect(prober.failuresBetween(start, Date.now())).toBe(0);
    } finally {
      await prober.stop();
    }
  });

  it("no VIP was ever answered by two nodes outside a planned handover", () => {
    const conflicts = capture.conflicts(40, VIPS).filter((c) => !handovers.some(([a, b]) => c.from >= a - 100 && c.to <= b + 100));
    expect(conflicts.map((c) => ({ ...c, from: new Date(c.from).toISOString(), to: new Date(c.to).toISOString() }))).toEqual([]);
  });

  it("the replay names the cause of every ownership change", async () => {
    const rows = await replayCommand({ nats: await cluster.hostNatsUrls(), security: cluster.lab.natsClient(), vip: null, json: true }, () => undefined);
    const changes = rows.filter((r) => r.kind === "owner-changed");
    expect(changes.length).toBeGreaterThanOrEqual(VIPS.length + 2);
    for (const c of changes) if (c.kind === "owner-changed") expect(["unowned", "owner-dead", "owner-left", "owner-ineligible"]).toContain(c.reason);
    expect(changes.some((c) => c.kind === "owner-changed" && c.reason === "owner-dead")).toBe(true);
    expect(rows.some((r) => r.kind === "node-restarting")).toBe(true);
  });
});
