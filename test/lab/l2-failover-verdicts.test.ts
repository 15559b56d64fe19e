import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { L2Cluster } from "../../src/lab/l2Cluster.js";
import { labUnavailableReason } from "../../src/lab/lab.js";
import { nodeRole } from "../../src/lab/topology.js";
import type { ArpCapture } from "../../src/lab/capture.js";
import { replayCommand } from "../../src/cli/replayCommand.js";
import { auditThenDestroy } from "../support/labAudit.js";
import { jetstreamManager } from "@nats-io/jetstream";
import { connectNats } from "../../src/adapters/nats/connect.js";

// The L2 failover of l2-failover.test.ts with `--membership verdicts` (experimental): the owner's watchers probe it
// over UDP, one of them puts NodeDeclaredDead on the log, and the plan moves the VIP on that verdict, not on
// heartbeat silence. Real ARP on veth links in network namespaces, real nats-server, real speakers (npm run build).

const VIP = "198.18.0.200";
const unavailable = labUnavailableReason();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(unavailable !== undefined)("L2 failover in the lab, membership by verdicts", () => {
  let cluster: L2Cluster;
  let capture: ArpCapture;
  let stopArping: () => void = () => undefined;
  const handovers: [number, number][] = [];

  let startedAt = 0;

  beforeAll(async () => {
    startedAt = Date.now();
    cluster = await L2Cluster.start({ nodes: 3, vips: [VIP], speakerArgs: ["--membership", "verdicts"], log: pino({ level: "warn" }) });
    capture = await cluster.lab.startCapture();
    await cluster.waitForOwner(VIP, 20_000);
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

  it("after kill -9 of the owner's speaker a watcher declares it dead, another node answers and requests succeed again", async () => {
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
      const rows = await replayCommand({ nats: [await cluster.lab.natsHostUrl()], security: cluster.lab.natsClient(), vip: null, json: true }, () => undefined);
      const verdict = rows.find((r) => r.kind === "verdict" && r.verdict === "NodeDeclaredDead" && r.target === nodeRole(owner) && r.refused === null);
      expect(verdict).toMatchObject({ evidence: { indirect: expect.any(Array) } });
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

  it("nobody beats every 50 ms: HEARTBEATS holds a presence per speaker every 5 s", async () => {
    const nc = await connectNats({ servers: [await cluster.lab.natsHostUrl()], security: cluster.lab.natsClient(), name: "verdicts-test", pingIntervalMs: 2_000 });
    try {
      const info = await (await jetstreamManager(nc)).streams.info("HEARTBEATS");
      const ranForS = (Date.now() - startedAt) / 1_000;
      // Three speakers (and the two restarts) beating every 50 ms would have stored about 60 a second.
      expect(info.state.messages).toBeLessThan(Math.max(10, ranForS * 2));
    } finally {
      await nc.close();
    }
  });

  it("the replay names the cause of every ownership change", async () => {
    const rows = await replayCommand({ nats: [await cluster.lab.natsHostUrl()], security: cluster.lab.natsClient(), vip: VIP, json: false }, () => undefined);
    const changes = rows.filter((r) => r.kind === "owner-changed");
    expect(changes.map((c) => c.kind === "owner-changed" && c.reason)).toEqual(["unowned", "owner-dead", "owner-left"]);
    expect(changes[1]).toMatchObject({ evidence: { previousOwnerStatus: "dead" } });
  });
});
