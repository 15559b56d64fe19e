import { pino } from "pino";
import { L2Cluster } from "../lab/l2Cluster.js";
import { labUnavailableReason } from "../lab/lab.js";
import { rollingRestart } from "../lab/rollingRestart.js";
import { machineDescription, type BenchResult } from "./report.js";

// Every speaker restarted in turn (SIGTERM, start again) while the client probes each VIP 100 times a second with a
// fresh connection; a lost probe is any request that failed or timed out. Mode "restart" (the default, what an
// upgrade should use) keeps VIPs in place; "handover" moves each VIP away first, and a request in flight at the
// instant the client switches MACs can be reset by the new node (it has no connection state for it).

const VIPS = ["198.18.0.200", "198.18.0.201", "198.18.0.202"];

export async function rollingRestartBench(args: string[]): Promise<BenchResult> {
  const unavailable = labUnavailableReason();
  if (unavailable) throw new Error(unavailable);
  const rounds = Number(args[0] ?? 2);
  const mode = args[1] === "handover" ? "handover" : "restart";
  const cluster = await L2Cluster.start({ nodes: 3, vips: VIPS, log: pino({ level: "warn" }), speakerArgs: ["--on-sigterm", mode] });
  try {
    for (const vip of VIPS) await cluster.waitForOwner(vip, 20_000);
    const probers = VIPS.map((vip) => cluster.lab.startProber({ url: `http://${vip}/`, intervalMs: 10, timeoutMs: 1_000, maxMs: 30 * 60_000 }));
    for (const p of probers) await p.waitForSuccess({ timeoutMs: 10_000 });
    const start = Date.now();
    for (let round = 0; round < rounds; round++) await rollingRestart(cluster, 3);
    await new Promise((r) => setTimeout(r, 1_500));
    const end = Date.now();
    const probes = probers.reduce((n, p) => n + p.between(start, end).length, 0);
    const lost = probers.reduce((n, p) => n + p.failuresBetween(start, end), 0);
    for (const [i, p] of probers.entries()) {
      for (const r of p.between(start, end).filter((x) => !x.ok)) process.stderr.write(`lost probe to ${VIPS[i] ?? "?"} at ${new Date(r.t).toISOString()}: ${r.err ?? "?"}\n`);
    }
    for (const p of probers) await p.stop();
    return {
      name: "rolling-restart",
      figures: { probes, lost, restarts: rounds * 3 },
      settings: { nodes: 3, vips: VIPS.length, probesPerSecondPerVip: 100, probeTimeoutMs: 1_000, rounds, onSigterm: mode },
      machine: machineDescription(),
    };
  } finally {
    await cluster.destroy();
  }
}
