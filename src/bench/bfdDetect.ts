import { pino } from "pino";
import { BgpCluster } from "../lab/bgpCluster.js";
import type { RouterBfdProfile } from "../lab/bgpRouter.js";
import { labUnavailableReason } from "../lab/lab.js";
import { waitFor } from "../lab/run.js";
import { nodeRole, roleIp } from "../lab/topology.js";
import { machineDescription, percentile, type BenchResult } from "./report.js";

// bfd-detect: a node's cable is pulled -> the lab router's kernel route for the VIP no longer points at the node.
// Every BGPPeer names a BFDProfile, and the router's bfdd pairs the same timers with each neighbor; the BGP hold time
// is 30 s, so only BFD can be what removed the route. Trials rotate over the 3 nodes, first with MetalLB's default
// profile (300 ms x 3), then with 50 ms x 3 (the profile edited live on both sides). The route is read from the
// router's FIB (`ip -j route`) in a loop, a few ms per read: that is the resolution.

const VIP = "198.18.100.10";
const PREFIX = `${VIP}/32`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

type Timers = { ms: number; mult: number };
const profileYaml = (t: Timers): string => `{ receiveInterval: ${t.ms}, transmitInterval: ${t.ms}, detectMultiplier: ${t.mult} }`;
const routerProfile = (t: Timers): RouterBfdProfile => ({ receiveMs: t.ms, transmitMs: t.ms, detectMultiplier: t.mult });

/** The VIP from every node, and the router's BFD session to every node Up (a trial without BFD would measure the hold time). */
async function allBack(c: BgpCluster): Promise<boolean | undefined> {
  if ((await c.router.fibNextHops(PREFIX)).length !== 3) return undefined;
  const peers = await c.router.vtysh<Array<{ peer: string; status: string }> | Record<string, never>>("show bfd peers json");
  const up = new Set((Array.isArray(peers) ? peers : []).filter((p) => p.status === "up").map((p) => p.peer));
  return [1, 2, 3].every((k) => up.has(roleIp(nodeRole(k)))) ? true : undefined;
}

async function trial(c: BgpCluster, k: number): Promise<number | null> {
  const node = roleIp(nodeRole(k));
  await waitFor("3 next hops before the cut", () => allBack(c), 60_000, 100);
  await sleep(500);
  await c.lab.setLink(nodeRole(k), false);
  const at = performance.now();
  let ms: number | null = null;
  try {
    while (performance.now() - at < 20_000) {
      if (!(await c.router.fibNextHops(PREFIX)).includes(node)) {
        ms = performance.now() - at;
        break;
      }
    }
  } finally {
    await c.lab.setLink(nodeRole(k), true);
  }
  return ms;
}

async function series(c: BgpCluster, trials: number, label: string): Promise<(number | null)[]> {
  const times: (number | null)[] = [];
  for (let i = 0; i < trials; i++) {
    times.push(await trial(c, (i % 3) + 1));
    process.stderr.write(`${label} trial ${i + 1}/${trials}: ${times.at(-1)?.toFixed(0) ?? "not detected"} ms\n`);
  }
  return times;
}

function stats(times: (number | null)[]): { p50: number; p99: number; max: number; failed: number } {
  const ok = times.filter((t): t is number => t !== null).sort((a, b) => a - b);
  return { p50: Math.round(percentile(ok, 50)), p99: Math.round(percentile(ok, 99)), max: Math.round(ok.at(-1) ?? Number.NaN), failed: times.length - ok.length };
}

export async function bfdDetectBench(args: string[]): Promise<BenchResult> {
  const unavailable = labUnavailableReason();
  if (unavailable) throw new Error(unavailable);
  const trials = Number(args[0] ?? 20);
  const normal: Timers = { ms: 300, mult: 3 };
  const fast: Timers = { ms: 50, mult: 3 };
  const c = await BgpCluster.start({ nodes: 3, vips: [VIP], log: pino({ level: "warn" }), holdTimeS: 30, bfd: { profile: profileYaml(normal), router: routerProfile(normal) } });
  let slow: (number | null)[] = [];
  let quick: (number | null)[] = [];
  try {
    await waitFor("the VIP from all 3 nodes", () => allBack(c), 90_000, 250);
    slow = await series(c, trials, "300 ms x 3");
    await c.router.configure(["bfd", "profile lab", `receive-interval ${fast.ms}`, `transmit-interval ${fast.ms}`, `detect-multiplier ${fast.mult}`]);
    c.writeConfig({ bfd: { profile: profileYaml(fast), router: routerProfile(fast) } });
    await sleep(3_000); // both ends' Poll Sequences settle
    quick = await series(c, trials, "50 ms x 3");
  } finally {
    await c.destroy();
  }
  const s = stats(slow);
  const q = stats(quick);
  return {
    name: "bfd-detect",
    figures: { trials, p50_ms: s.p50, p99_ms: s.p99, max_ms: s.max, fast_p50_ms: q.p50, fast_p99_ms: q.p99, fast_max_ms: q.max, failed_trials: s.failed + q.failed },
    settings: { nodes: 3, profile: profileYaml(normal), fast_profile: profileYaml(fast), router: "FRR 8 bgpd + bfdd, same timers", hold_time_s: 30, measured: "cable pulled -> router FIB route for the VIP without the node" },
    machine: machineDescription(),
  };
}
