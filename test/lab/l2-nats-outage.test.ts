import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { jetstreamManager } from "@nats-io/jetstream";
import { connectNats } from "../../src/adapters/nats/connect.js";
import { L2Cluster } from "../../src/lab/l2Cluster.js";
import { labUnavailableReason } from "../../src/lab/lab.js";
import type { ArpCapture } from "../../src/lab/capture.js";
import type { Prober } from "../../src/lab/prober.js";
import { replayCommand } from "../../src/cli/replayCommand.js";
import type { TimelineRow } from "../../src/projections/timeline.js";
import { auditThenDestroy } from "../support/labAudit.js";

// A three-server NATS cluster (streams replicated 3x, HEARTBEATS in memory): killing the stream leader, and a full
// NATS outage of 60 s (which empties HEARTBEATS), change no announcement, fail no client request, and declare no
// node dead.

const VIPS = ["198.18.0.200", "198.18.0.201"];
const unavailable = labUnavailableReason();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(unavailable !== undefined)("L2 with a NATS cluster: log outages change nothing", () => {
  let cluster: L2Cluster;
  let capture: ArpCapture;
  let prober: Prober;
  let owners: (number | null)[] = [];

  const claims = async (): Promise<TimelineRow[]> =>
    (await replayCommand({ nats: await cluster.hostNatsUrls(), security: cluster.lab.natsClient(), vip: null, json: true }, () => undefined)).filter((r) => r.kind === "owner-changed");
  const speakerMessages = (msg: string, since: number): number =>
    cluster.speakerLines.filter(({ line }) => line.includes(`"msg":"${msg}"`) && Number(/"time":(\d+)/.exec(line)?.[1] ?? 0) >= since).length;

  beforeAll(async () => {
    cluster = await L2Cluster.start({ nodes: 3, vips: VIPS, log: pino({ level: "warn" }), natsCluster: true });
    capture = await cluster.lab.startCapture();
    owners = [];
    for (const vip of VIPS) owners.push(await cluster.waitForOwner(vip, 30_000));
    prober = cluster.lab.startProber({ url: `http://${VIPS[0] ?? ""}/`, intervalMs: 10, timeoutMs: 1_000, maxMs: 10 * 60_000 });
    await prober.waitForSuccess({ timeoutMs: 10_000 });
    await sleep(2_000);
  });

  afterAll(async () => {
    await prober?.stop();
    await auditThenDestroy(cluster, () => cluster.destroy());
  });

  it("killing the heartbeat stream's leader moves nothing and fails no request", async () => {
    const nc = await connectNats({ servers: await cluster.hostNatsUrls(), security: cluster.lab.natsClient("admin"), name: "test-inspect", pingIntervalMs: 2_000 });
    const leader = (await (await jetstreamManager(nc)).streams.info("HEARTBEATS")).cluster?.leader ?? "";
    await nc.close();
    const index = cluster.natsCluster?.indexOf(leader) ?? -1;
    expect(index).toBeGreaterThanOrEqual(0);
    const before = await claims();
    const start = Date.now();
    await cluster.natsCluster?.kill(index);
    await sleep(10_000);
    await cluster.natsCluster?.start(index);
    await sleep(3_000);
    expect(prober.failuresBetween(start, Date.now())).toBe(0);
    expect(prober.between(start, Date.now()).length).toBeGreaterThan(500);
    expect(await claims()).toEqual(before);
    expect(speakerMessages("fenced: stopped answering", start)).toBe(0);
    for (const [i, vip] of VIPS.entries()) expect(await cluster.resolveOwner(vip)).toBe(owners[i]);
  });

  afterEach(() => {
    const fenced = cluster.speakerLines.filter(({ line }) => line.includes("fenced: stopped answering")).map(({ node, line }) => `node${node} ${line}`);
    if (fenced.length > 0) console.log(`l2-nats-outage: fencing so far:\n${fenced.join("\n")}`);
  });

  it("a full NATS outage of 60 s moves nothing and fails no request", async () => {
    const before = await claims();
    const start = Date.now();
    await cluster.natsCluster?.killAll();
    await sleep(60_000);
    for (let i = 0; i < 3; i++) await cluster.natsCluster?.start(i);
    await sleep(10_000);
    // The log is back and the speakers write to it again.
    const nc = await connectNats({ servers: await cluster.hostNatsUrls(), security: cluster.lab.natsClient("admin"), name: "test-inspect", pingIntervalMs: 2_000 });
    const jsm = await jetstreamManager(nc);
    // Heartbeats every 50 ms per speaker; with VIPMESH_LAB_MEMBERSHIP=verdicts a presence every 5 s per speaker.
    const verdicts = process.env["VIPMESH_LAB_MEMBERSHIP"] === "verdicts";
    const beatsBefore = (await jsm.streams.info("HEARTBEATS")).state.last_seq;
    await sleep(verdicts ? 5_500 : 1_000);
    const beats = await jsm.streams.info("HEARTBEATS");
    const beatsAfter = beats.state.last_seq;
    await nc.close();
    // Replicated HEARTBEATS is held in memory (no fsync per beat): after every server restarted it began again at
    // #1, and each speaker's membership started over with it instead of waiting for its old position.
    expect(beats.config.storage).toBe("memory");
    if (!verdicts) {
      const startedOver = new Set(cluster.speakerLines.filter(({ line }) => line.includes('"msg":"HEARTBEATS started over')).map(({ node }) => node));
      const quiet = [1, 2, 3].filter((n) => !startedOver.has(n));
      const lines = quiet.flatMap((n) => cluster.speakerLines.filter(({ node, line }) => node === n && Number(/"time":(\d+)/.exec(line)?.[1] ?? 0) >= start).slice(-12).map(({ line }) => `node${n} ${line}`));
      expect(quiet, `speakers that did not start over with HEARTBEATS:\n${lines.join("\n")}`).toEqual([]);
    }
    expect(beatsAfter - beatsBefore).toBeGreaterThan(verdicts ? 2 : 20);
    expect(prober.failuresBetween(start, Date.now())).toBe(0);
    expect(await claims()).toEqual(before);
    expect(speakerMessages("fenced: stopped answering", start)).toBe(0);
    for (const [i, vip] of VIPS.entries()) expect(await cluster.resolveOwner(vip)).toBe(owners[i]);
  });

  it("no VIP was answered by two nodes at any time", () => {
    expect(capture.conflicts(40, VIPS)).toEqual([]);
  });
});
