import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { L2Cluster } from "../../src/lab/l2Cluster.js";
import { labUnavailableReason } from "../../src/lab/lab.js";
import { labScript } from "../../src/lab/paths.js";
import { waitFor } from "../../src/lab/run.js";
import { nodeRole } from "../../src/lab/topology.js";
import { healPartition, partitionFromNats } from "../../src/lab/faults.js";
import type { ProcHandle } from "../../src/lab/types.js";
import { auditThenDestroy } from "../support/labAudit.js";

// An attacker on the lab switch (in the client namespace, reading a capture of the probe port on the switch) against
// real speakers with a per-run probe key. During a NATS outage for everyone it answers every probe it sees with a
// forged "I reach the log and have not heard you" (which would fence the asker); with the owner cut off from NATS it
// replays every genuine probe and answer it captured. Neither fences anyone nor keeps a cut-off owner answering; each
// forged or replayed datagram is dropped and logged with its reason.
// The attacks are on the probe port, not on the log: the run's audit must find no violation (afterAll).

const VIP = "198.18.0.200";
const PROBE_PORT = 7946;
const unavailable = labUnavailableReason();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Line = { node: number; msg: string; time: number; reason?: string; vip?: string };

describe.skipIf(unavailable !== undefined)("fencing probes under attack in the lab", () => {
  let cluster: L2Cluster;
  let pcap: string;
  const lines = (): Line[] =>
    cluster.speakerLines.flatMap(({ node, line }) => {
      try {
        const j = JSON.parse(line) as Omit<Line, "node">;
        return [{ node, msg: j.msg, time: j.time, ...(j.reason ? { reason: j.reason } : {}), ...(j.vip ? { vip: j.vip } : {}) }];
      } catch {
        return [];
      }
    });
  const drops = (since: number): Set<string> => new Set(lines().filter((l) => l.msg === "fencing probe dropped" && l.time >= since).map((l) => `${l.node}:${l.reason ?? ""}`));

  function attack(mode: "forge" | "replay", seconds: number): { proc: ProcHandle; done: Promise<Record<string, number>> } {
    let resolve: (v: Record<string, number>) => void = () => undefined;
    const done = new Promise<Record<string, number>>((r) => (resolve = r));
    const proc = cluster.lab.spawn("client", [process.execPath, labScript("probe-attacker.mjs"), pcap, String(PROBE_PORT), mode, String(seconds)], {
      name: `probe-attacker-${mode}`,
      onLine: (line) => resolve(JSON.parse(line) as Record<string, number>),
    });
    return { proc, done };
  }

  beforeAll(async () => {
    cluster = await L2Cluster.start({ nodes: 3, vips: [VIP], log: pino({ level: "warn" }) });
    pcap = join(cluster.lab.runDir, "probes.pcap");
    let listening = false;
    cluster.lab.spawn("sw", ["tcpdump", "-i", "br0", "-n", "--immediate-mode", "-U", "-Z", "root", "-s", "1024", "-w", pcap, `udp port ${PROBE_PORT}`], {
      name: "tcpdump-probes",
      onStderrLine: (l) => {
        if (l.includes("listening on")) listening = true;
      },
    });
    await waitFor("tcpdump on the probe port", () => (listening ? true : undefined));
    await cluster.waitForOwner(VIP, 20_000);
    await sleep(2_000);
  });

  afterAll(async () => {
    await auditThenDestroy(cluster, () => cluster.destroy());
  });

  it("forged 'you are cut off' answers during a NATS outage for everyone fence nobody; the owner keeps answering", async () => {
    const owner = await cluster.waitForOwner(VIP);
    const start = Date.now();
    const attacker = attack("forge", 4);
    // The outage for everyone at one instant: nats-server frozen.
    const nats = cluster.lab.natsProc;
    nats?.kill("SIGSTOP");
    try {
      const counts = await attacker.done;
      expect(counts["forged"]).toBeGreaterThan(20);
      expect(await cluster.resolveOwner(VIP)).toBe(owner);
    } finally {
      nats?.kill("SIGCONT");
    }
    await sleep(2_000);
    expect(lines().filter((l) => l.msg === "fenced: stopped answering" && l.time >= start)).toEqual([]);
    // Every node asked, and every node dropped the forgeries as signed with a key it does not have.
    for (let k = 1; k <= 3; k++) expect(drops(start)).toContain(`${k}:bad-tag`);
    expect(await cluster.resolveOwner(VIP)).toBe(owner);
  });

  it("replayed genuine probes and answers do not keep a cut-off owner answering: it still fences before the VIP moves", async () => {
    const owner = await cluster.waitForOwner(VIP);
    const start = Date.now();
    const attacker = attack("replay", 3);
    await sleep(300);
    await partitionFromNats(cluster.lab, nodeRole(owner));
    try {
      const next = await cluster.waitForOwner(VIP, 5_000, owner);
      await sleep(300);
      const fenced = lines().find((l) => l.node === owner && l.msg === "fenced: stopped answering" && l.time >= start);
      const claimed = lines().find((l) => l.node === next && l.msg === "claimed VIP" && l.vip === VIP && l.time >= start);
      expect(fenced).toBeDefined();
      expect(claimed).toBeDefined();
      expect(fenced?.time ?? Infinity).toBeLessThan(claimed?.time ?? 0);
    } finally {
      await healPartition(cluster.lab, nodeRole(owner));
    }
    // Healed, it reconnects, catches up and unfences (as in l2-faults), taking nothing back.
    await waitFor("the owner to unfence", () => (lines().some((l) => l.node === owner && l.msg === "unfenced" && l.time >= start) ? true : undefined), 20_000);
    expect(await cluster.resolveOwner(VIP)).not.toBe(owner);
    expect((await attacker.done)["replayed"]).toBeGreaterThan(100);
    // The replays reached every node and were refused as replays (answers already taken, probes already answered).
    const refused = [...drops(start)];
    for (let k = 1; k <= 3; k++) expect(refused).toContain(`${k}:replay`);
  });
});
