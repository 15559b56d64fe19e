import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { auditCommand } from "../../src/cli/auditCommand.js";
import { replayCommand } from "../../src/cli/replayCommand.js";
import { openLogSource } from "../../src/agents/replay/logSource.js";
import { decodeHeartbeatEntries } from "../../src/events/entries.js";
import { L2Cluster } from "../../src/lab/l2Cluster.js";
import { labUnavailableReason } from "../../src/lab/lab.js";
import { nodeRole } from "../../src/lab/topology.js";
import { STARVED_SCORE } from "../../src/projections/members/lifeguard.js";
import { DEFAULT_MEMBERSHIP_SETTINGS } from "../../src/projections/settings.js";

// Lifeguard with real speakers, a real nats-server and real ARP: an owner whose process is starved (stopped and
// continued in bursts, so its timers run late) says so in its heartbeats, and then keeps its VIP through a stop
// longer than the plain dead timeout (300 ms) but shorter than the widened bound (--max-dead-after, 700 ms); an
// owner stopped beyond the bound is failed over. The audit finds its claim justified.

const VIP = "198.18.0.200";
const settings = DEFAULT_MEMBERSHIP_SETTINGS;
const unavailable = labUnavailableReason();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Stops and continues the process in bursts for `ms`: each stop makes its beat timer and event loop run late. */
async function starve(pid: number, ms: number, stopMs: number, runMs: number): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    process.kill(pid, "SIGSTOP");
    await sleep(stopMs);
    process.kill(pid, "SIGCONT");
    await sleep(runMs);
  }
}

describe.skipIf(unavailable !== undefined)("Lifeguard in the lab", () => {
  let cluster: L2Cluster;

  beforeAll(async () => {
    cluster = await L2Cluster.start({ nodes: 3, vips: [VIP], log: pino({ level: "warn" }) });
    await cluster.waitForOwner(VIP, 20_000);
    await sleep(1_500);
  });

  afterAll(async () => {
    for (const proc of cluster?.speakers.values() ?? []) if (proc.running) proc.kill("SIGCONT");
    await cluster?.destroy();
  });

  const ownerChanges = async (since: number): Promise<{ from: string | null; to: string; silentForMs: number | null }[]> => {
    const rows = await replayCommand({ nats: await cluster.hostNatsUrls(), security: cluster.lab.natsClient(), vip: VIP, json: true }, () => undefined);
    return rows.flatMap((r) => (r.kind === "owner-changed" && r.time >= since ? [{ from: r.from, to: r.to, silentForMs: r.evidence.silentForMs }] : []));
  };

  /** Short stops first (the score rises, widening the timeout), then 200 ms stops (the score reaches the top). */
  const starveOwner = async (pid: number): Promise<void> => {
    await starve(pid, 800, 60, 60);
    await starve(pid, 1_200, 200, 100);
  };

  /** The highest health score `node` reported in HEARTBEATS since `since`. */
  const reportedHealth = async (node: string, since: number): Promise<number> => {
    const source = await openLogSource({ kind: "nats", servers: await cluster.hostNatsUrls(), security: cluster.lab.natsClient(), name: "lifeguard-test", timeoutMs: 10_000 });
    let worst = 0;
    try {
      await source.read("HEARTBEATS", (batch) => {
        for (const { meta, event } of decodeHeartbeatEntries(batch, () => undefined)) {
          if (meta.time >= since && event?.data.node === node) worst = Math.max(worst, event.data.health ?? 0);
        }
      });
    } finally {
      await source.close();
    }
    return worst;
  };

  it("a starved owner reports it and keeps its VIP through a 450 ms stop (dead after 300 ms without Lifeguard)", async () => {
    const owner = await cluster.waitForOwner(VIP);
    const proc = cluster.speakers.get(owner);
    if (!proc) throw new Error("no owner process");
    const start = Date.now();
    await starveOwner(proc.pid);
    process.kill(proc.pid, "SIGSTOP");
    await sleep(450);
    process.kill(proc.pid, "SIGCONT");
    await sleep(1_500);
    expect(await reportedHealth(nodeRole(owner), start)).toBeGreaterThanOrEqual(STARVED_SCORE);
    expect(await ownerChanges(start)).toEqual([]);
    expect(await cluster.waitForOwner(VIP)).toBe(owner);
  });

  it("a starved owner stopped beyond the bound is failed over, and the audit finds the claim justified", async () => {
    const owner = await cluster.waitForOwner(VIP);
    const proc = cluster.speakers.get(owner);
    if (!proc) throw new Error("no owner process");
    const start = Date.now();
    await starveOwner(proc.pid);
    process.kill(proc.pid, "SIGSTOP");
    try {
      expect(await cluster.waitForOwner(VIP, 5_000, owner)).not.toBe(owner);
    } finally {
      process.kill(proc.pid, "SIGCONT");
    }
    await sleep(2_000);
    const changes = await ownerChanges(start);
    expect(changes.map((c) => c.from)).toEqual([nodeRole(owner)]);
    // Judged with the widened timeout: the claim came after a silence the plain 300 ms would have cut short.
    expect(changes[0]?.silentForMs).toBeGreaterThan(settings.deadAfterMs + 100);
    const audit = await auditCommand({ nats: await cluster.hostNatsUrls(), security: cluster.lab.natsClient(), settings: { membership: settings, handoverBoundMs: 250 }, timeoutMs: 10_000 });
    // The claim is justified by the same rules the speakers applied. (`two-owners` may flag the stopped owner: a
    // stopped process cannot fence, and the audit sees the same incarnation beat again after the claim.)
    expect(audit.report.findings.filter((f) => f.level === "violation" && f.check === "claim-unjustified")).toEqual([]);
    expect(audit.report.findings.filter((f) => f.check === "claim-unjustified")).toEqual([]);
  });
});
