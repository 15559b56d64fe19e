import { pino } from "pino";
import { L2Cluster } from "../lab/l2Cluster.js";
import { labUnavailableReason } from "../lab/lab.js";
import { DEFAULT_MEMBERSHIP_SETTINGS } from "../projections/settings.js";
import { machineDescription, percentile, type BenchResult } from "./report.js";

// Owner death in the lab: the owner's speaker is killed with SIGKILL and its cable pulled at once; the figure is
// the time from then to the client's first successful HTTP request through the VIP (completion time).

const VIP = "198.18.0.200";
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function failoverBench(args: string[]): Promise<BenchResult> {
  const unavailable = labUnavailableReason();
  if (unavailable) throw new Error(unavailable);
  const trials = Number(args[0] ?? 20);
  const probeIntervalMs = 10;
  const cluster = await L2Cluster.start({ nodes: 3, vips: [VIP], log: pino({ level: "warn" }) });
  const times: number[] = [];
  let failed = 0;
  try {
    const prober = cluster.lab.startProber({ url: `http://${VIP}/`, intervalMs: probeIntervalMs, timeoutMs: 300, maxMs: 30 * 60_000 });
    await cluster.waitForOwner(VIP, 20_000);
    await prober.waitForSuccess({ timeoutMs: 10_000 });
    for (let trial = 1; trial <= trials; trial++) {
      await sleep(2_500); // the revived node passes its join hysteresis; neighbour entries settle
      const owner = await cluster.waitForOwner(VIP, 10_000);
      await prober.waitForSuccess({ timeoutMs: 5_000 });
      const crashedAt = await cluster.crashNode(owner);
      try {
        const ok = await prober.waitForSuccess({ after: crashedAt, timeoutMs: 10_000 });
        times.push(ok.t + ok.ms - crashedAt);
        process.stderr.write(`trial ${trial}: node${owner} crashed, recovered in ${(ok.t + ok.ms - crashedAt).toFixed(0)} ms via ${ok.node ?? "?"}\n`);
      } catch {
        failed++;
        process.stderr.write(`trial ${trial}: no successful request within 10 s\n`);
      }
      await cluster.reviveNode(owner);
    }
    await prober.stop();
  } finally {
    await cluster.destroy();
  }
  const sorted = [...times].sort((a, b) => a - b);
  return {
    name: "failover",
    figures: {
      trials,
      p50_ms: Math.round(percentile(sorted, 50)),
      p99_ms: Math.round(percentile(sorted, 99)),
      max_ms: Math.round(sorted[sorted.length - 1] ?? Number.NaN),
      failed_trials: failed,
    },
    settings: { ...DEFAULT_MEMBERSHIP_SETTINGS, nodes: 3, probeIntervalMs, fault: "SIGKILL speaker + cable pulled" },
    machine: machineDescription(),
  };
}
