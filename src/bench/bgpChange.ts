// bgp-change: one VIP added or withdrawn on a live session -> visible in FRR's forwarding table. The time runs from
// the speaker's setRoutes to the route appearing in (or leaving) the router's kernel FIB, seen with `ip monitor route`
// (zebra installs from the RIB, so this is RIB + FIB). Also counts session resets (FRR's connectionsDropped).
// `--backend frr`: the node side is FRR's bgpd driven by the FRR announcer (time from the plan handed over).
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { waitFor } from "../lab/run.js";
import { nodeRole, roleIp } from "../lab/topology.js";
import { BgpBenchLab } from "./bgpBenchLab.js";
import { machineDescription, percentile, type BenchResult } from "./report.js";

const arg = (args: string[], name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? Number(args[i + 1]) : fallback;
};

export async function bgpChangeBench(args: string[]): Promise<BenchResult> {
  const count = arg(args, "count", 100);
  const base = arg(args, "prefixes", 1_000);
  const i = args.indexOf("--backend");
  const backend = i >= 0 ? args[i + 1] : "native";
  if (backend !== "native" && backend !== "frr") throw new Error(`bgp-change: --backend ${backend}: not a backend (native or frr)`);
  const bench = await BgpBenchLab.start(1);
  const monitor = spawn("ip", ["-n", bench.router.ns, "monitor", "route"], { stdio: ["ignore", "pipe", "ignore"] });
  try {
    const seen = new Map<string, number>(); // "add <ip>" / "del <ip>" -> first time seen
    createInterface({ input: monitor.stdout }).on("line", (line) => {
      const m = /^(Deleted )?(198\.19\.255\.\d+) /.exec(line);
      if (m?.[2]) seen.set(`${m[1] ? "del" : "add"} ${m[2]}`, Date.now());
    });
    const w = bench.worker(1, base, backend);
    await bench.waitEstablished(1);
    await waitFor("the base table at FRR", async () => ((await bench.peers())[roleIp(nodeRole(1))]?.pfxRcd === base ? true : undefined), 30_000, 50);
    const before = (await bench.peers())[roleIp(nodeRole(1))];
    const latencies: number[] = [];
    for (let i = 0; i < count; i++) {
      for (const [signal, kind] of [["SIGUSR1", "add"], ["SIGUSR2", "del"]] as const) {
        const sentBefore = w.lines.filter((l) => l.event === "sent").length;
        w.proc.kill(signal);
        const sent = await waitFor("the worker's change", () => w.lines.filter((l) => l.event === "sent")[sentBefore], 5_000, 1);
        const ip = (sent.prefix ?? "").split("/")[0] ?? "";
        const key = `${kind} ${ip}`;
        seen.delete(key);
        const at = await waitFor(`${key} in the router's FIB`, () => seen.get(key), 5_000, 1);
        latencies.push(at - (sent.t ?? at));
      }
    }
    const after = (await bench.peers())[roleIp(nodeRole(1))];
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      name: "bgp-change",
      figures: {
        backend,
        changes: latencies.length,
        p50_ms: percentile(sorted, 50),
        p99_ms: percentile(sorted, 99),
        max_ms: sorted[sorted.length - 1] ?? Number.NaN,
        session_resets: (after?.connectionsDropped ?? 0) - (before?.connectionsDropped ?? 0) + w.lines.filter((l) => l.event === "down").length,
      },
      settings: { count, base_prefixes: base, speaker: backend === "frr" ? "FRR bgpd + zebra beside the worker, driven by the FRR announcer (the difference over its vty)" : "native BgpTcpPeer", observed: "router kernel FIB via ip monitor route (after FRR RIB)", router: "FRR bgpd + zebra, iBGP" },
      machine: machineDescription(),
    };
  } finally {
    monitor.kill();
    await bench.destroy();
  }
}
