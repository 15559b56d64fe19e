import { mkdirSync } from "node:fs";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditCommand } from "../../src/cli/auditCommand.js";
import { logExport } from "../../src/cli/logExportCommand.js";
import { replayCommand } from "../../src/cli/replayCommand.js";
import { L2Cluster } from "../../src/lab/l2Cluster.js";
import { labUnavailableReason } from "../../src/lab/lab.js";
import { nodeRole } from "../../src/lab/topology.js";
import { DEFAULT_MEMBERSHIP_SETTINGS } from "../../src/projections/settings.js";
import { auditThenDestroy } from "../support/labAudit.js";

// Real speakers, real nats-server, real ARP: a run through the fault matrix's L2 cases (a crashed owner and its
// restart, a pulled cable, a SIGTERM handover) audits with no violation, lists the fencing episode of the cable pull,
// and its export (kept as build/lab/audit-lab.jsonl.gz; test/fixtures/ holds one such run) audits and replays the same.

const VIP = "198.18.0.200";
const EXPORT = "build/lab/audit-lab.jsonl.gz";
const settings = { membership: DEFAULT_MEMBERSHIP_SETTINGS, handoverBoundMs: 250 };
const unavailable = labUnavailableReason();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe.skipIf(unavailable !== undefined)("audit of a lab run", () => {
  let cluster: L2Cluster;

  beforeAll(async () => {
    cluster = await L2Cluster.start({ nodes: 3, vips: [VIP], log: pino({ level: "warn" }) });
    await cluster.waitForOwner(VIP, 20_000);
  });

  afterAll(async () => {
    await auditThenDestroy(cluster, () => cluster.destroy());
  });

  it("a crash, a restart, a pulled cable and a handover give no violation; the export reads the same", async () => {
    const first = await cluster.waitForOwner(VIP);
    cluster.speakers.get(first)?.kill("SIGKILL");
    const second = await cluster.waitForOwner(VIP, 5_000, first);
    await cluster.speakers.get(first)?.exited;
    cluster.startSpeaker(first);
    await sleep(1_500);

    await cluster.lab.setLink(nodeRole(second), false);
    const third = await cluster.waitForOwner(VIP, 8_000, second);
    await sleep(1_000);
    await cluster.lab.setLink(nodeRole(second), true);
    await sleep(4_000); // back, caught up, unfenced: its FenceLeft is on the log

    const owner = await cluster.waitForOwner(VIP);
    await cluster.speakers.get(owner)?.stop(10_000);
    await cluster.waitForOwner(VIP, 5_000, owner);
    cluster.startSpeaker(owner);
    await sleep(1_500);

    const nats = await cluster.hostNatsUrls();
    const security = cluster.lab.natsClient();
    const live = await auditCommand({ nats, security, settings, timeoutMs: 10_000 });
    const told = cluster.speakerLines.filter((l) => /fenc|claimed VIP|stall|NATS|answering|left/i.test(l.line)).map((l) => `node${l.node} ${l.line.slice(0, 260)}`);
    console.log(`audit-lab: what the speakers said about fencing, claims and NATS:\n${told.join("\n")}`);
    expect(live.report.findings.filter((f) => f.level === "violation")).toEqual([]);
    expect(live.report.findings.filter((f) => f.check === "fencing").map((f) => f.about)).toContain(nodeRole(second));
    expect(third).not.toBe(second);

    mkdirSync("build/lab", { recursive: true });
    await logExport({ nats, security, file: EXPORT, timeoutMs: 10_000 });
    const exported = await auditCommand({ nats: [], from: EXPORT, settings });
    expect(exported.report.counts.events).toBeGreaterThanOrEqual(live.report.counts.events);
    expect(exported.report.findings.filter((f) => f.level === "violation")).toEqual([]);
    const text = async (from?: string): Promise<string[]> => {
      const lines: string[] = [];
      await replayCommand({ nats, security, vip: null, json: true, timeoutMs: 10_000, ...(from ? { from } : {}) }, (t) => lines.push(t));
      return lines;
    };
    const fromFile = await text(EXPORT);
    expect(fromFile.length).toBeGreaterThan(4);
    expect((await text()).slice(0, fromFile.length)).toEqual(fromFile);
  }, 120_000);
});
