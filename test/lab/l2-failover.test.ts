import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { L2Cluster } from "../../src/lab/l2Cluster.js";
import { labUnavailableReason } from "../../src/lab/lab.js";
import { nodeRole } from "../../src/lab/topology.js";
import type { ArpCapture } from "../../src/lab/capture.js";
import { replayCommand } from "../../src/cli/replayCommand.js";
import { auditThenDestroy } from "../support/labAudit.js";

// Real ARP on veth links in network namespaces, real nats-server, real speakers (compiled CLI: npm run build).

const VIP = "198.18.0.200";
const unavailable = labUnavailableReason();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(unavailable !== undefined)("L2 failover in the lab", () => {
  let cluster: L2Cluster;
  let capture: ArpCapture;
  let stopArping: () => void = () => undefined;
  const handovers: [number, number][] = [];

  beforeAll(async () => {
    cluster = await L2Cluster.start({ nodes: 3, vips: [VIP], log: pino({ level: "warn" }) });
    capture = await cluster.lab.startCapture();
    await cluster.waitForOwner(VIP, 20_000);
    // A steady stream of ARP requests from the client, so that any second answerer would show in the capture.
    const arping = cluster.lab.spawn("client", ["arping", "-q", "-W", "0.05", "-i", "eth0", VIP], { name: "arping-loop" });
    stopArping = () => arping.kill("SIGTERM");
  });

  afterAll(async () => {
    stopArping();
    await auditThenDestroy(cluster, () => cluster.destroy());
  });

  it("exactly one node answers for the VIP", async () => {
    const owner = await cluster.waitForOwner(VIP);
    await sleep(1_000);
    const since = Date.now() - 900;
    const macs = new Set((capture.answersByVip([VIP]).get(VIP) ?? []).filter((a) => a.t >= since).map((a) => a.mac));
    expect([...macs]).toEqual([cluster.lab.nodeMac(owner)]);
  });

  it("after kill -9 of the owner's speaker another node answers and requests succeed again", async () => {
    const prober = cluster.lab.startProber({ url: `http://${VIP}/`, intervalMs: 20, timeoutMs: 500 });
    try {
      const owner = await cluster.waitForOwner(VIP);
      await prober.waitForSuccess({ timeoutMs: 10_000 });
      const killedAt = Date.now();
      cluster.speakers.get(owner)?.kill("SIGKILL");
      const next = await cluster.waitForOwner(VIP, 5_000, owner);
      expect(next).not.toBe(owner);
      const served = await prober.waitForSuccess({ after: killedAt, node: nodeRole(next), timeoutMs: 5_000 });
      expect(served.node).toBe(nodeRole(next));
      cluster.startSpeaker(owner);
      await sleep(1_500);
      expect(await cluster.resolveOwner(VIP)).toBe(next);
    } finally {
      await prober.stop();
    }
  });

  it("a SIGTERM handover loses no client probe", async () => {
    const prober = cluster.lab.startProber({ url: `http://${VIP}/`, intervalMs: 20, timeoutMs: 1_000 });
    try {
      const owner = await cluster.waitForOwner(VIP);
      await prober.waitForSuccess({ timeoutMs: 10_000 });
      const start = Date.now();
      await cluster.speakers.get(owner)?.stop(10_000);
      const next = await cluster.waitForOwner(VIP, 5_000, owner);
      handovers.push([start, Date.now()]);
      await prober.waitForSuccess({ after: Date.now(), node: nodeRole(next), timeoutMs: 5_000 });
      await sleep(500);
      expect(prober.failuresBetween(start - 1_000, Date.now())).toBe(0);
      cluster.startSpeaker(owner);
    } finally {
      await prober.stop();
    }
  });

  it("no two nodes ever answered at the same time outside a handover", () => {
    const conflicts = capture.conflicts(40, [VIP]).filter((c) => !handovers.some(([a, b]) => c.from >= a - 100 && c.to <= b + 100));
    expect(conflicts).toEqual([]);
    expect((capture.answersByVip([VIP]).get(VIP) ?? []).length).toBeGreaterThan(20);
  });

  it("the replay names the cause of every ownership change", async () => {
    const lines: string[] = [];
    const rows = await replayCommand({ nats: [await cluster.lab.natsHostUrl()], security: cluster.lab.natsClient(), vip: VIP, json: false }, (t) => lines.push(t));
    const changes = rows.filter((r) => r.kind === "owner-changed");
    expect(changes.map((c) => c.kind === "owner-changed" && c.reason)).toEqual(["unowned", "owner-dead", "owner-left"]);
    expect(lines.join("\n")).toMatch(/silent for \d+ ms/);
  });

  it("another MAC announcing the VIP is counted and reported to the log", async () => {
    const owner = await cluster.waitForOwner(VIP);
    // The client announces the VIP as its own: a gratuitous ARP from a MAC that is not the owner's.
    await cluster.lab.exec("client", ["arping", "-U", "-S", VIP, "-i", "eth0", "-c", "2", "-w", "2", VIP], { allowFail: true, timeoutMs: 5_000 });
    const deadline = Date.now() + 5_000;
    let rows: Awaited<ReturnType<typeof replayCommand>> = [];
    while (Date.now() < deadline) {
      rows = await replayCommand({ nats: [await cluster.lab.natsHostUrl()], security: cluster.lab.natsClient(), vip: VIP, json: true }, () => undefined);
      if (rows.some((r) => r.kind === "conflict-observed")) break;
      await sleep(250);
    }
    const report = rows.find((r) => r.kind === "conflict-observed");
    expect(report).toMatchObject({ vip: VIP, node: nodeRole(owner), otherMac: cluster.lab.mac("client") });
  });
});
