import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { pino } from "pino";
import { chartNodeOptions, defaultChartCommands } from "../lab/chartCommands.js";
import { startKubeL2Cluster } from "../lab/kubeCluster.js";
import { L2Cluster, l2Manifests } from "../lab/l2Cluster.js";
import { labUnavailableReason } from "../lab/lab.js";
import { cpuPercentOver } from "./scale/procStats.js";
import { machineDescription, type BenchResult } from "./report.js";

// A lab of 3 nodes and 1 VIP in L2 mode (the lab's own speaker command line, its configuration file, 2 allocators);
// after the VIP has an owner and `settle` seconds more, each speaker's VmRSS (/proc/<pid>/status) and V8 heap
// (memory/probe.ts, preloaded). Then one speaker is started again with the probe's loader hook, to list the
// modules a speaker loads (ES and CommonJS; printed by package on stderr). Speakers run with the chart's V8 flags
// (as every lab speaker does); `--node-options "<flags>"` adds more, to compare. `--kube`: the speakers run as the
// chart runs them, with Kubernetes credentials (a real kube-apiserver bridged into the lab, two controllers, the
// configuration applied with kubectl), so they load what a cluster's speaker loads for its status objects and
// BGPPeer passwords.

const VIP = "198.18.0.200";
const PROBE = fileURLToPath(new URL("./memory/probe.js", import.meta.url));

type ProbeReport = {
  rss: number; heapUsed: number; heapTotal: number; external: number; rssAnon: number; rssFile: number;
  spaces: Record<string, { used: number; size: number }>; modules: string[];
};
const MB = 2 ** 20;
/** Resident memory by kind, mean of the speakers, MB: file pages (node's binary), anonymous (the heap, malloc) and the heap's code. */
function breakdown(reports: ProbeReport[]): Record<string, number> {
  const space = (r: ProbeReport, names: string[]): number => names.reduce((a, n) => a + (r.spaces[n]?.size ?? 0), 0);
  return {
    rss_file_mb: mean(reports.map((r) => r.rssFile / MB)),
    rss_anon_mb: mean(reports.map((r) => r.rssAnon / MB)),
    heap_total_mb: mean(reports.map((r) => r.heapTotal / MB)),
    heap_code_mb: mean(reports.map((r) => space(r, ["code_space", "code_large_object_space"]) / MB)),
    heap_new_mb: mean(reports.map((r) => space(r, ["new_space", "new_large_object_space"]) / MB)),
    external_mb: mean(reports.map((r) => r.external / MB)),
    anon_outside_heap_mb: mean(reports.map((r) => (r.rssAnon - r.heapTotal) / MB)),
  };
}

const vmRssKb = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? Number.NaN);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function probe(pid: number, dir: string): Promise<ProbeReport> {
  process.kill(pid, "SIGUSR2");
  for (let i = 0; i < 50; i++) {
    await sleep(100);
    try {
      return JSON.parse(readFileSync(join(dir, `${pid}.json`), "utf8")) as ProbeReport;
    } catch {
      // not written yet
    }
  }
  throw new Error(`speaker ${pid} wrote no memory report`);
}

function byPackage(modules: string[]): [string, number][] {
  const counts = new Map<string, number>();
  for (const m of modules) {
    const nm = m.lastIndexOf("/node_modules/");
    const key = nm >= 0 ? (/^(@[^/]+\/[^/]+|[^/]+)/.exec(m.slice(nm + 14))?.[1] ?? "?") : (/\/dist\/([^/]+)/.exec(m)?.[1] ? `dist/${/\/dist\/([^/]+)/.exec(m)?.[1]}` : m);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].sort((a, b) => b[1] - a[1]);
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

export async function speakerMemoryBench(args: string[]): Promise<BenchResult> {
  const unavailable = labUnavailableReason();
  if (unavailable) throw new Error(unavailable);
  const flagAt = args.indexOf("--node-options");
  const v8Flags = flagAt >= 0 ? (args[flagAt + 1] ?? "") : "";
  const settle = Number(args.find((a) => /^\d+$/.test(a)) ?? 30);
  const dir = mkdtempSync(join(tmpdir(), "vipmesh-memory-"));
  const saved = { options: process.env["NODE_OPTIONS"], dir: process.env["VIPMESH_MEMORY_PROBE_DIR"] };
  process.env["NODE_OPTIONS"] = [saved.options ?? "", `--import=${PROBE}`, v8Flags].join(" ").trim();
  process.env["VIPMESH_MEMORY_PROBE_DIR"] = dir;
  const kube = args.includes("--kube") ? await startKubeL2Cluster({ nodes: 3, vips: [VIP], log: pino({ level: "warn" }) }) : null;
  const cluster = kube ? kube.cluster : await L2Cluster.start({ nodes: 3, vips: [VIP], log: pino({ level: "warn" }) });
  try {
    if (kube) {
      const applied = await kube.api.kubectl(["apply", "-f", "-"], { input: l2Manifests([VIP]) });
      if (applied.code !== 0) throw new Error(`kubectl apply: ${applied.stderr}`);
    }
    await cluster.waitForOwner(VIP, 30_000);
    const pids = [1, 2, 3].map((k) => cluster.speakers.get(k)?.pid ?? 0);
    const cpu = await cpuPercentOver(pids, settle * 1000); // what a flag that saves memory costs in CPU
    const rss = pids.map((pid) => vmRssKb(pid) / 1024);
    const reports = await Promise.all(pids.map((pid) => probe(pid, dir)));
    // The module list, from a speaker started again with the loader hook (after the RSS, which the hook's thread would add to).
    const last = cluster.speakers.get(3);
    last?.kill("SIGKILL");
    await last?.exited;
    process.env["VIPMESH_MEMORY_PROBE_HOOKS"] = "1";
    const listed = cluster.startSpeaker(3);
    await sleep(10_000);
    const modules = (await probe(listed.pid, dir)).modules;
    process.stderr.write(`modules by package: ${byPackage(modules).map(([k, n]) => `${k} ${n}`).join(", ")}\n`);
    return {
      name: "speaker-memory",
      figures: {
        rss_mb: mean(rss),
        rss_mb_max: Math.max(...rss),
        heap_used_mb: mean(reports.map((r) => r.heapUsed / 2 ** 20)),
        ...breakdown(reports),
        cpu_pct: mean(cpu),
        modules_loaded: modules.length,
      },
      settings: { nodes: 3, vips: 1, mode: "l2", kubernetes: kube !== null, settle_s: settle, chart_node_options: chartNodeOptions((await defaultChartCommands()).speaker), node_options: v8Flags },
      machine: machineDescription(),
    };
  } finally {
    for (const [k, v] of [["NODE_OPTIONS", saved.options], ["VIPMESH_MEMORY_PROBE_DIR", saved.dir], ["VIPMESH_MEMORY_PROBE_HOOKS", undefined]] as const) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
    await (kube ? kube.destroy() : cluster.destroy());
    rmSync(dir, { recursive: true, force: true });
  }
}
