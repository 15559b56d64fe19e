import { pino } from "pino";
import { L2Cluster } from "../lab/l2Cluster.js";
import { labUnavailableReason } from "../lab/lab.js";
import { nodeRole } from "../lab/topology.js";
import type { Prober } from "../lab/prober.js";
import { replayCommand } from "../cli/replayCommand.js";
import { DEFAULT_MEMBERSHIP_SETTINGS } from "../projections/settings.js";
import { DEFAULT_FENCE_SETTINGS } from "../protocols/fence/fenceMachine.js";
import { defaultHogs, startCpuHogs } from "./cpuHog.js";
import { rssMiB } from "./procRss.js";
import { machineDescription, percentile, type BenchResult } from "./report.js";

// Failover in the lab, with the machine overloaded by CPU hogs for the whole run (`--hogs N`, default one per core).
//   kill:     the owner's speaker gets SIGKILL (the node and its data path stay up); measured until the client's
//             first successful request served by another node, i.e. until the VIP has really moved.
//   linkdown: the owner's cable is pulled (its speaker keeps running, cut off); measured until the client's first
//             successful request.
// Every ownership change the replay shows that no injected fault explains is a false-positive failover.

const VIP = "198.18.0.200";
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Fault = "kill" | "linkdown";
type Window = { from: number; to: number; victim: string };

async function trial(cluster: L2Cluster, prober: Prober, fault: Fault, windows: Window[]): Promise<number | null> {
  const owner = await cluster.waitForOwner(VIP, 10_000);
  await prober.waitForSuccess({ timeoutMs: 5_000 });
  const victim = nodeRole(owner);
  let at: number;
  if (fault === "kill") {
    at = Date.now();
    cluster.speakers.get(owner)?.kill("SIGKILL");
  } else {
    await cluster.lab.setLink(victim, false);
    at = Date.now();
  }
  let ms: number | null = null;
  try {
    const ok = fault === "kill" ? await waitForOtherNode(prober, at, victim) : await prober.waitForSuccess({ after: at, timeoutMs: 10_000 });
    ms = ok.t + ok.ms - at;
  } catch {
    ms = null;
  }
  if (fault === "linkdown") await cluster.lab.setLink(victim, true);
  if (fault === "kill") cluster.startSpeaker(owner);
  windows.push({ from: at, to: Date.now() + 1_000, victim });
  await sleep(2_500); // the restored node passes its join hysteresis and settles
  return ms;
}

function waitForOtherNode(prober: Prober, after: number, victim: string): Promise<{ t: number; ms: number }> {
  return new Promise((resolve, reject) => {
    const deadline = Date.now() + 10_000;
    const poll = (): void => {
      const hit = prober.between(after).find((r) => r.ok && r.node !== null && r.node !== victim);
      if (hit) return resolve(hit);
      if (Date.now() > deadline) return reject(new Error("no request served by another node"));
      setTimeout(poll, 10);
    };
    poll();
  });
}

/** Mean resident set of the lab's running speakers, sampled `samples` times `everyMs` apart (steady state, no faults). */
async function speakerRssMiB(cluster: L2Cluster, samples = 10, everyMs = 500): Promise<number> {
  const seen: number[] = [];
  for (let i = 0; i < samples; i++) {
    for (const proc of cluster.speakers.values()) {
      const mib = proc.running ? rssMiB(proc.pid) : null;
      if (mib !== null) seen.push(mib);
    }
    await sleep(everyMs);
  }
  return seen.length === 0 ? Number.NaN : seen.reduce((a, b) => a + b, 0) / seen.length;
}

type FailoverArgs = { trials: number; hogs: number };

/** `[trials] [--hogs N]`: trials default 30, hogs default one per core (0: none). */
export function parseFailoverArgs(args: readonly string[]): FailoverArgs {
  const rest = [...args];
  let hogs = defaultHogs();
  const at = rest.indexOf("--hogs");
  if (at >= 0) {
    hogs = Number(rest[at + 1]);
    rest.splice(at, 2);
    if (!Number.isInteger(hogs) || hogs < 0) throw new Error(`--hogs (${args[at + 1] ?? "missing"}) must be a whole number, 0 or more`);
  }
  const trials = Number(rest[0] ?? 30);
  if (!Number.isInteger(trials) || trials < 1) throw new Error(`trials (${rest[0]}) must be a whole number, 1 or more`);
  return { trials, hogs };
}

async function falsePositives(cluster: L2Cluster, windows: Window[]): Promise<number> {
  const rows = await replayCommand({ nats: await cluster.hostNatsUrls(), security: cluster.lab.natsClient(), vip: null, json: true }, () => undefined);
  const unexplained = rows.filter(
    (r) => r.kind === "owner-changed" && r.reason !== "unowned" && !windows.some((w) => r.time >= w.from - 50 && r.time <= w.to && r.from === w.victim),
  );
  for (const r of unexplained) process.stderr.write(`false positive: ${JSON.stringify(r)}\n`);
  return unexplained.length;
}

function figures(prefix: string, times: (number | null)[]): Record<string, number> {
  const ok = times.filter((t): t is number => t !== null).sort((a, b) => a - b);
  return {
    [`${prefix}_p50_ms`]: Math.round(percentile(ok, 50)),
    [`${prefix}_p99_ms`]: Math.round(percentile(ok, 99)),
    [`${prefix}_max_ms`]: Math.round(ok[ok.length - 1] ?? Number.NaN),
    [`${prefix}_failed`]: times.length - ok.length,
  };
}

export async function failoverBench(args: string[]): Promise<BenchResult> {
  const unavailable = labUnavailableReason();
  if (unavailable) throw new Error(unavailable);
  const { trials, hogs } = parseFailoverArgs(args);
  const hog = startCpuHogs(hogs);
  const cluster = await L2Cluster.start({ nodes: 3, vips: [VIP], log: pino({ level: "warn" }) });
  const windows: Window[] = [];
  const kill: (number | null)[] = [];
  const linkdown: (number | null)[] = [];
  let fp = Number.NaN;
  let rss = Number.NaN;
  try {
    const prober = cluster.lab.startProber({ url: `http://${VIP}/`, intervalMs: 10, timeoutMs: 300, maxMs: 60 * 60_000 });
    await cluster.waitForOwner(VIP, 20_000);
    await sleep(2_000);
    rss = await speakerRssMiB(cluster);
    for (let i = 1; i <= trials; i++) {
      kill.push(await trial(cluster, prober, "kill", windows));
      linkdown.push(await trial(cluster, prober, "linkdown", windows));
      process.stderr.write(`trial ${i}/${trials}: kill ${kill.at(-1)?.toFixed(0) ?? "failed"} ms, linkdown ${linkdown.at(-1)?.toFixed(0) ?? "failed"} ms\n`);
    }
    await prober.stop();
    fp = await falsePositives(cluster, windows);
  } finally {
    hog.stop();
    await cluster.destroy();
  }
  const k = figures("kill", kill);
  const l = figures("linkdown", linkdown);
  return {
    name: "failover",
    figures: {
      trials,
      // The walking skeleton's keys, now describing kill -9.
      p50_ms: k["kill_p50_ms"] ?? Number.NaN,
      p99_ms: k["kill_p99_ms"] ?? Number.NaN,
      max_ms: k["kill_max_ms"] ?? Number.NaN,
      failed_trials: (k["kill_failed"] ?? 0) + (l["linkdown_failed"] ?? 0),
      ...k,
      ...l,
      false_positive_failovers: fp,
      speaker_rss_mb: Math.round(rss * 10) / 10,
      hogs,
    },
    settings: { ...DEFAULT_MEMBERSHIP_SETTINGS, fence: DEFAULT_FENCE_SETTINGS, nodes: 3, probeIntervalMs: 10, cpuHogs: hogs },
    machine: machineDescription(),
  };
}
