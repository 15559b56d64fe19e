import { pino } from "pino";
import { createLab, labUnavailableReason } from "../lab/lab.js";
import { LabMemberProbers } from "../lab/memberProbers.js";
import { waitFor } from "../lab/run.js";
import { startCpuHogs } from "./cpuHog.js";
import { machineDescription, percentile, type BenchResult } from "./report.js";

// member-detect: the membership probers alone (no log, no speaker), in 4 lab namespaces, each watching the three
// others. Per trial a fresh set starts, runs quietly for `quietMs` (any verdict about a live node is counted), then
// one node's process is SIGKILLed; measured until each of its 3 watchers declares it dead: from the kill, and from
// the last reply the watcher had (the verdict's evidence). The verdict times are the watchers' own clocks (the same
// machine's), so the figures include their scheduling delay, not the log's or the speaker's.

const NODES = [1, 2, 3, 4];
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Args = { trials: number; hogs: number; quietMs: number };

function parseArgs(args: string[]): Args {
  const rest = [...args];
  let hogs = 0;
  const at = rest.indexOf("--hogs");
  if (at >= 0) {
    hogs = Number(rest[at + 1]);
    rest.splice(at, 2);
    if (!Number.isInteger(hogs) || hogs < 0) throw new Error(`--hogs (${args[at + 1] ?? "missing"}) must be a whole number, 0 or more`);
  }
  const trials = Number(rest[0] ?? 20);
  if (!Number.isInteger(trials) || trials < 1) throw new Error(`trials (${rest[0]}) must be a whole number, 1 or more`);
  return { trials, hogs, quietMs: 2_000 };
}

type Trial = { fromKill: number[]; fromLastReply: number[]; watcherHealth: number[]; falseDead: number; falseSuspect: number; failed: boolean };

async function trial(lab: Awaited<ReturnType<typeof createLab>>, i: number, quietMs: number): Promise<Trial> {
  const probers = await LabMemberProbers.start(lab, NODES, 1_000 * (i + 1));
  try {
    // A random phase against the 50 ms pings, so "from the kill" is not locked to the probers' start.
    await sleep(quietMs + Math.random() * 50);
    const victim = NODES[i % NODES.length] ?? 1;
    const watchers = NODES.filter((k) => k !== victim);
    const target = `node${victim}`;
    const before = watchers.flatMap((k) => probers.verdicts(k));
    const killedAt = Date.now();
    probers.kill(victim);
    const dead = (k: number) => probers.verdicts(k).find((v) => v.kind === "NodeDeclaredDead" && v.target === target);
    let failed = false;
    await waitFor("every watcher's death verdict", () => (watchers.every((k) => dead(k)) ? true : undefined), 10_000).catch(() => (failed = true));
    const verdicts = watchers.flatMap((k) => dead(k) ?? []);
    const afterKill = watchers.flatMap((k) => probers.verdicts(k)).filter((v) => v.target !== target);
    return {
      fromKill: verdicts.map((v) => (v.at ?? NaN) - killedAt),
      fromLastReply: verdicts.map((v) => (v.at ?? NaN) - (v.evidence?.lastReplyAt ?? NaN)),
      watcherHealth: verdicts.map((v) => v.evidence?.watcherHealth ?? NaN),
      falseDead: [...before, ...afterKill].filter((v) => v.kind === "NodeDeclaredDead").length,
      falseSuspect: [...before, ...afterKill].filter((v) => v.kind === "NodeSuspected").length,
      failed,
    };
  } finally {
    await probers.stop();
  }
}

const round = (v: number): number => Math.round(v);

export async function memberDetectBench(args: string[]): Promise<BenchResult> {
  const unavailable = labUnavailableReason();
  if (unavailable) throw new Error(unavailable);
  const { trials, hogs, quietMs } = parseArgs(args);
  const lab = await createLab({ nodes: NODES.length, log: pino({ level: "warn" }) });
  const hog = startCpuHogs(hogs);
  const results: Trial[] = [];
  try {
    for (let i = 0; i < trials; i++) {
      results.push(await trial(lab, i, quietMs));
      const last = results.at(-1);
      process.stderr.write(`trial ${i + 1}/${trials}: dead after ${last?.fromKill.map(round).join(", ")} ms from the kill, ${last?.fromLastReply.map(round).join(", ")} ms from the last reply, watcher health ${last?.watcherHealth.join(", ")}${last?.failed ? " (not all watchers judged)" : ""}\n`);
    }
  } finally {
    hog.stop();
    await lab.destroy();
  }
  const firstFromKill = results.filter((r) => r.fromKill.length > 0).map((r) => Math.min(...r.fromKill)).sort((a, b) => a - b);
  const allFromKill = results.flatMap((r) => r.fromKill).sort((a, b) => a - b);
  const fromReply = results.flatMap((r) => r.fromLastReply).sort((a, b) => a - b);
  return {
    name: "member-detect",
    machine: machineDescription(),
    settings: { trials, hogs, nodes: NODES.length, quietMs, probeIntervalMs: 50, suspectAfterMs: 150, deadAfterMs: 250, maxDeadAfterMs: 700 },
    figures: {
      first_verdict_p50_ms: round(percentile(firstFromKill, 50)),
      first_verdict_p99_ms: round(percentile(firstFromKill, 99)),
      verdict_p50_ms: round(percentile(allFromKill, 50)),
      verdict_p99_ms: round(percentile(allFromKill, 99)),
      verdict_max_ms: round(allFromKill.at(-1) ?? NaN),
      since_last_reply_p50_ms: round(percentile(fromReply, 50)),
      since_last_reply_p99_ms: round(percentile(fromReply, 99)),
      false_dead_verdicts: results.reduce((n, r) => n + r.falseDead, 0),
      live_nodes_suspected: results.reduce((n, r) => n + r.falseSuspect, 0),
      failed_trials: results.filter((r) => r.failed).length,
    },
  };
}
