import { pino } from "pino";
import { startKubeL2Cluster } from "../lab/kubeCluster.js";
import { l2Manifests } from "../lab/l2Cluster.js";
import { labUnavailableReason } from "../lab/lab.js";
import { machineDescription, percentile, type BenchResult } from "./report.js";

// create-to-reachable: `kubectl apply` of a LoadBalancer Service (requesting its IP) -> the lab's client gets its
// first successful HTTP answer from the VIP. Includes kubectl itself, ingest, allocation, claim and announcement.

const FIRST = 210;

export async function createToReachableBench(args: string[]): Promise<BenchResult> {
  const unavailable = labUnavailableReason();
  if (unavailable) throw new Error(unavailable);
  const trials = Number(args[0] ?? 20);
  const vips = Array.from({ length: trials }, (_, i) => `198.18.0.${FIRST + i}`);
  const k = await startKubeL2Cluster({ nodes: 3, vips, log: pino({ level: "warn" }) });
  const times: number[] = [];
  let failed = 0;
  try {
    const pools = await k.api.kubectl(["apply", "-f", "-"], { input: l2Manifests([]) });
    if (pools.code !== 0) throw new Error(pools.stderr);
    await new Promise((r) => setTimeout(r, 3_000)); // controllers and speakers have the pool
    for (const [i, vip] of vips.entries()) {
      const prober = k.cluster.lab.startProber({ url: `http://${vip}/`, intervalMs: 10, timeoutMs: 300 });
      const service = `{"apiVersion":"v1","kind":"Service","metadata":{"name":"bench${i}","namespace":"default","annotations":{"metallb.io/loadBalancerIPs":"${vip}"}},"spec":{"type":"LoadBalancer","ports":[{"port":80}]}}`;
      const at = Date.now();
      const applied = await k.api.kubectl(["apply", "-f", "-"], { input: service });
      try {
        if (applied.code !== 0) throw new Error(applied.stderr);
        const ok = await prober.waitForSuccess({ after: at, timeoutMs: 15_000 });
        times.push(ok.t + ok.ms - at);
      } catch (err) {
        failed++;
        process.stderr.write(`trial ${i}: ${(err as Error).message}\n`);
      } finally {
        await prober.stop();
      }
    }
  } finally {
    await k.destroy();
  }
  const sorted = [...times].sort((a, b) => a - b);
  return {
    name: "create-to-reachable",
    figures: { trials, p50_ms: Math.round(percentile(sorted, 50)), p99_ms: Math.round(percentile(sorted, 99)), failed },
    settings: { nodes: 3, controllers: 2, probeIntervalMs: 10 },
    machine: machineDescription(),
  };
}
