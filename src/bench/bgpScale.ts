// bgp-scale: 10,000 VIPs advertised from 3 nodes to a real FRR router (lab namespaces). Measures the time from the
// first session reaching Established until FRR holds every prefix from every node, and the UPDATE messages sent.
import { waitFor } from "../lab/run.js";
import { nodeRole, roleIp } from "../lab/topology.js";
import { BgpBenchLab, type BenchWorker } from "./bgpBenchLab.js";
import { machineDescription, type BenchResult } from "./report.js";

const arg = (args: string[], name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};

export async function bgpScaleBench(args: string[]): Promise<BenchResult> {
  const prefixes = arg(args, "prefixes", 10_000);
  const nodes = arg(args, "nodes", 3);
  const bench = await BgpBenchLab.start(nodes);
  try {
    const workers: BenchWorker[] = Array.from({ length: nodes }, (_, i) => bench.worker(i + 1, prefixes));
    const established = await waitFor("every session Established", () => {
      const ts = workers.map((w) => w.lines.find((l) => l.event === "established")?.t);
      return ts.every((t) => t !== undefined) ? (ts as number[]) : undefined;
    }, 30_000, 10);
    const holdsAll = await waitFor("FRR holding every prefix from every node", async () => {
      const peers = await bench.peers();
      const all = Array.from({ length: nodes }, (_, i) => peers[roleIp(nodeRole(i + 1))]?.pfxRcd ?? 0).every((n) => n >= prefixes);
      return all ? Date.now() : undefined;
    }, 60_000, 20);
    for (const w of workers) w.proc.kill("SIGHUP");
    const stats = await waitFor("worker stats", () => {
      const s = workers.map((w) => w.lines.find((l) => l.event === "stats")?.updatesSent);
      return s.every((n) => n !== undefined) ? (s as number[]) : undefined;
    }, 5_000, 10);
    return {
      name: "bgp-scale",
      figures: {
        prefixes,
        converge_ms: holdsAll - Math.min(...established),
        converge_from_last_established_ms: holdsAll - Math.max(...established),
        updates_sent: stats.reduce((a, b) => a + b, 0),
        updates_sent_per_node: Math.max(...stats),
      },
      settings: { nodes, prefixes, router: "FRR bgpd + zebra, maximum-paths 16, iBGP", poll_ms: 20 },
      machine: machineDescription(),
    };
  } finally {
    await bench.destroy();
  }
}
