import { readdirSync, readFileSync } from "node:fs";
import { loadavg } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { pino } from "pino";
import { connectNats } from "../../adapters/nats/connect.js";
import { readWholeStream } from "../../adapters/nats/readLog.js";
import { STREAMS } from "../../events/types.js";
import { subjects } from "../../events/subjects.js";
import { L2Cluster } from "../../lab/l2Cluster.js";
import { labUnavailableReason } from "../../lab/lab.js";
import type { Prober } from "../../lab/prober.js";
import { nodeRole } from "../../lab/topology.js";
import type { ProcHandle } from "../../lab/types.js";
import { DEFAULT_MEMBERSHIP_SETTINGS } from "../../projections/settings.js";
import { machineDescription, percentile, type BenchResult } from "../report.js";
import { cpuPercentOver, rssMiB } from "./procStats.js";
import { BULK_POOL, SCALE_VIP, scaleManifests } from "./scaleManifests.js";
import { vipsAnswered } from "./vipsAnswered.js";

// npm run bench -- scale [nodes] [services]: 3 real speakers and 2 allocators in the lab (answering ARP), plus a
// simulator process publishing the events of `nodes` simulated nodes as real speakers would, and `services` Services.
// Steady-state CPU and memory of the speakers and nats-server, log growth, the largest event, how long a speaker
// restarted into the full load takes to answer again, and failover of a killed owner (10 trials).

const REAL_NODES = 3;
const STEADY_WINDOW_MS = 10_000;
const TRIALS = 10;
/** From the lab's start until the probed VIP is answered: 10,003 configuration messages alone took ~100 s at load 10-18. */
const OWNER_WAIT_MS = 180_000;
/** From the lab's start until every Service's VIP is answered, at most. */
const SETTLE_WAIT_MS = 480_000;
const SIMULATOR = fileURLToPath(new URL("./simulator.js", import.meta.url));
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function startSimulator(cluster: L2Cluster, nodes: number): ProcHandle | null {
  if (nodes === 0) return null;
  const argv = [process.execPath, SIMULATOR, "--nats", cluster.natsUrl, ...cluster.lab.natsArgs("admin"), "--nodes", String(nodes), "--interval", String(DEFAULT_MEMBERSHIP_SETTINGS.heartbeatIntervalMs)];
  return cluster.lab.spawn("nats", argv, { name: "simulator" });
}

/**
 * Both streams' growth per second over `ms`: messages stored times their mean stored size (HEARTBEATS ages out
 * after 60 s, so its byte count alone stops growing), and the size of a real speaker's last heartbeat.
 */
async function logGrowth(nc: NatsConnection, ms: number): Promise<{ bytesPerS: number; maxBeat: number }> {
  // A NATS server saturated by the simulated nodes may answer slowly: give its requests time.
  const jsm = await jetstreamManager(nc, { timeout: 30_000 });
  const states = async () => Promise.all([STREAMS.events, STREAMS.heartbeats].map(async (s) => (await jsm.streams.info(s)).state));
  const before = await states();
  const started = performance.now();
  await sleep(ms);
  const after = await states();
  const seconds = (performance.now() - started) / 1000;
  const bytesPerS = after.reduce((sum, s, i) => sum + ((s.last_seq - (before[i]?.last_seq ?? 0)) * (s.bytes / Math.max(1, s.messages))) / seconds, 0);
  const beat = await jsm.direct.getMessage(STREAMS.heartbeats, { last_by_subj: subjects.heartbeat(nodeRole(1)) }).catch(() => null);
  return { bytesPerS, maxBeat: beat?.data.length ?? Number.NaN };
}

async function eventCount(nc: NatsConnection | null): Promise<number> {
  if (!nc) return Number.NaN;
  return (await (await jetstreamManager(nc, { timeout: 30_000 })).streams.info(STREAMS.events).catch(() => null))?.state.messages ?? Number.NaN;
}

async function largestEvent(nc: NatsConnection): Promise<number> {
  let max = 0;
  await readWholeStream(nc, STREAMS.events, (batch) => {
    for (const m of batch) max = Math.max(max, m.data.length);
  }, { stallMs: 30_000 });
  return max;
}

/** Restarts the probed VIP's owner in place and times its new process until it answers for the VIP again. */
async function readyMs(cluster: L2Cluster): Promise<number> {
  const owner = await cluster.waitForOwner(SCALE_VIP, 20_000);
  await cluster.speakers.get(owner)?.stop(10_000);
  const from = cluster.speakerLines.length;
  const at = Date.now();
  cluster.startSpeaker(owner);
  for (;;) {
    const answered = cluster.speakerLines.slice(from).some((l) => l.node === owner && l.line.includes("answering and announcing") && l.line.includes(`"${SCALE_VIP}"`));
    if (answered) return Date.now() - at;
    if (Date.now() - at > 60_000) return Number.NaN;
    await sleep(20);
  }
}

/** SIGKILL of the probed VIP's owner, until the client's first request served by another node; null: failed. */
async function failoverMs(cluster: L2Cluster, prober: Prober, nc: NatsConnection): Promise<number | null> {
  const owner = await cluster.waitForOwner(SCALE_VIP, 20_000).catch(() => null);
  if (owner === null || !(await prober.waitForSuccess({ timeoutMs: 10_000 }).then(() => true, () => false))) {
    process.stderr.write("  no owner answering before the trial\n");
    return null;
  }
  const from = cluster.speakerLines.length;
  const at = Date.now();
  cluster.speakers.get(owner)?.kill("SIGKILL");
  const deadline = at + 15_000;
  let ms: number | null = null;
  while (Date.now() < deadline && ms === null) {
    const hit = prober.between(at).find((r) => r.ok && r.node !== null && r.node !== nodeRole(owner));
    if (hit) ms = hit.t + hit.ms - at;
    else await sleep(10);
  }
  await cluster.speakers.get(owner)?.exited;
  const lines = cluster.speakerLines.slice(from);
  process.stderr.write(`  ${trialSteps(lines, owner, at)}; ${await claimEvidence(nc, lines, owner, at)}\n`);
  cluster.startSpeaker(owner);
  await sleep(3_000); // the restarted node passes its join hysteresis and settles
  return ms;
}

/**
 * The stored claim's evidence, relative to the kill (stream times): the owner's last beat, the membership time the
 * claimer decided at, the silence it judged, and when the server stored the claim.
 */
async function claimEvidence(nc: NatsConnection, lines: readonly { node: number; line: string }[], owner: number, at: number): Promise<string> {
  const line = lines.find((l) => l.node !== owner && l.line.includes('"msg":"claimed VIP"') && l.line.includes(`"${SCALE_VIP}"`));
  const seq = line ? Number(/"seq":(\d+)/.exec(line.line)?.[1]) : Number.NaN;
  if (!Number.isInteger(seq)) return "no claim";
  const jsm = await jetstreamManager(nc, { timeout: 30_000 });
  const m = await jsm.streams.getMessage(STREAMS.events, { seq }).catch(() => null);
  if (!m) return `claim ${seq} not read`;
  const e = (m.json<{ data: { evidence: { previousOwnerLastHeardAt: number | null; silentForMs: number | null; observedAt: number } } }>()).data.evidence;
  const rel = (t: number | null): string => (t === null ? "-" : `${t - at > 0 ? "+" : ""}${Math.round(t - at)}`);
  return `owner last heard ${rel(e.previousOwnerLastHeardAt)}, decided at ${rel(e.observedAt)} (silent ${e.silentForMs === null ? "-" : Math.round(e.silentForMs)} ms), stored ${rel(m.time.getTime())}`;
}

/** Where a trial's time went, from the survivors' lines (pino's epoch-ms `time`): the claim, the answer, fences. */
function trialSteps(lines: readonly { node: number; line: string }[], owner: number, at: number): string {
  const parsed = lines.filter((l) => l.node !== owner).flatMap((l) => {
    try {
      return [{ ...(JSON.parse(l.line) as { time?: number; msg?: string; vip?: string; reason?: string }), node: l.node }];
    } catch {
      return []; // not a log line (a stack trace, a warning of node's)
    }
  });
  const first = (msg: string, vip?: string): string => {
    const hit = parsed.find((l) => l.msg === msg && (vip === undefined || l.vip === vip));
    return hit ? `node${hit.node} +${(hit.time ?? 0) - at} ms${hit.reason ? ` (${hit.reason})` : ""}` : "none";
  };
  const fences = parsed.filter((l) => l.msg === "fenced: stopped answering").map((l) => `node${l.node} +${(l.time ?? 0) - at}`);
  return `claimed: ${first("claimed VIP", SCALE_VIP)}; answering: ${first("answering and announcing", SCALE_VIP)}; fenced: ${fences.join(", ") || "none"}`;
}

/** A speaker that exited during the run, with its last lines: its figures would otherwise just be missing. */
function reportExited(cluster: L2Cluster): void {
  for (const [k, proc] of cluster.speakers) {
    if (proc.running) continue;
    // The process's log file (stdout and stderr) holds what it printed last, a crash's stack included.
    const file = readdirSync(cluster.lab.runDir).filter((f) => f.startsWith(`speaker-${nodeRole(k)}-`)).sort().pop();
    const lines = file ? readFileSync(join(cluster.lab.runDir, file), "utf8").trimEnd().split("\n") : [];
    process.stderr.write(`speaker node${k} exited; its last lines:\n`);
    for (const line of lines.slice(-12)) process.stderr.write(`  ${line.slice(0, 400)}\n`);
  }
}

/** The speakers' last warnings, so a failed trial says what the speakers saw. */
function reportFailure(cluster: L2Cluster): void {
  const warnings = cluster.speakerLines.filter((l) => /"level":(40|50)/.test(l.line)).slice(-8);
  for (const w of warnings) process.stderr.write(`  node${w.node}: ${w.line.slice(0, 300)}\n`);
}

/** How far each speaker got with the VIPs (claims stored, lost, not published; VIPs answered) and its last warnings. */
function reportProgress(cluster: L2Cluster): void {
  const count = (k: number, text: string): number => cluster.speakerLines.filter((l) => l.node === k && l.line.includes(text)).length;
  for (const k of cluster.speakers.keys()) {
    process.stderr.write(`  node${k}: ${count(k, '"claimed VIP"')} claims stored, ${count(k, "lost claim race")} lost, ${count(k, "claim not published")} not published, ${count(k, "answering and announcing")} VIPs answered\n`);
    for (const l of cluster.speakerLines.filter((l) => l.node === k).slice(-4)) process.stderr.write(`    ${l.line.slice(0, 300)}\n`);
  }
  reportFailure(cluster);
}

async function routeBulkPool(cluster: L2Cluster): Promise<void> {
  for (let k = 1; k <= REAL_NODES; k++) await cluster.lab.exec(nodeRole(k), ["ip", "route", "add", BULK_POOL, "dev", "eth0"]);
  await cluster.lab.exec("client", ["ip", "route", "add", BULK_POOL, "dev", "eth0"]);
}

export async function scaleBench(args: string[]): Promise<BenchResult> {
  const unavailable = labUnavailableReason();
  if (unavailable) throw new Error(unavailable);
  const nodes = Number(args[0] ?? 1_000);
  const services = Number(args[1] ?? 10_000);
  if (!Number.isInteger(nodes) || nodes < 0 || !Number.isInteger(services) || services < 1) throw new Error("usage: scale [nodes >= 0] [services >= 1]");
  const cluster = await L2Cluster.start({ nodes: REAL_NODES, vips: [SCALE_VIP], manifests: scaleManifests(services), log: pino({ level: "warn" }), speakerArgs: ["--on-sigterm", "restart", "--restart-grace", "30000"] });
  let nc: NatsConnection | null = null;
  try {
    await routeBulkPool(cluster);
    const simulator = startSimulator(cluster, nodes);
    nc = await connectNats({ servers: [await cluster.lab.natsHostUrl()], security: cluster.lab.natsClient("reader"), name: "scale-bench", pingIntervalMs: 2_000 });
    const started = Date.now();
    const ticker = setInterval(() => void eventCount(nc).then((n) => process.stderr.write(`${Math.round((Date.now() - started) / 1000)} s: EVENTS holds ${n} messages; waiting for an owner of ${SCALE_VIP}\n`)), 10_000);
    // Without an owner the failover and readiness figures fail, but the steady state is still measured: what the
    // speakers and the server cost while the VIPs do not settle is a figure too.
    const owned = await cluster.waitForOwner(SCALE_VIP, OWNER_WAIT_MS).then(() => true, () => (reportProgress(cluster), false));
    clearInterval(ticker);
    const ownerMs = owned ? Date.now() - started : Number.NaN;
    // Steady state is after every Service's VIP is answered (10,000 allocations and claims behind the configuration
    // took minutes on the shared machine), or after SETTLE_WAIT_MS, whichever is first.
    const settleTicker = setInterval(() => void eventCount(nc).then((n) => process.stderr.write(`${Math.round((Date.now() - started) / 1000)} s: EVENTS holds ${n} messages; ${vipsAnswered(cluster.speakerLines)} of ${services} VIPs answered\n`)), 10_000);
    while (owned && vipsAnswered(cluster.speakerLines) < services && Date.now() - started < SETTLE_WAIT_MS) await sleep(1_000);
    clearInterval(settleTicker);
    const settleMs = vipsAnswered(cluster.speakerLines) >= services ? Date.now() - started : Number.NaN;
    await sleep(15_000); // announcements and the last snapshots settle under the simulated nodes' load
    const answered = vipsAnswered(cluster.speakerLines);
    const speakerPids = [...cluster.speakers.values()].map((p) => p.pid);
    const natsPid = cluster.lab.natsProc?.pid;
    const [cpu, growth] = await Promise.all([cpuPercentOver([...speakerPids, ...(natsPid ? [natsPid] : [])], STEADY_WINDOW_MS), logGrowth(nc, STEADY_WINDOW_MS)]);
    const rss = speakerPids.map(rssMiB);
    reportExited(cluster);
    const load = loadavg()[0] ?? Number.NaN; // on a shared machine the speakers get a share of the cores, not what they need
    const speakerCpu = cpu.slice(0, speakerPids.length);
    process.stderr.write(`steady state: speakers ${speakerCpu.map((c) => c.toFixed(1)).join(", ")} % CPU, ${rss.map((r) => r.toFixed(0)).join(", ")} MiB; nats ${cpu[speakerPids.length]?.toFixed(1)} %; ${Math.round(growth.bytesPerS)} log bytes/s; heartbeat ${growth.maxBeat} bytes\n`);
    const prober = cluster.lab.startProber({ url: `http://${SCALE_VIP}/`, intervalMs: 10, timeoutMs: 300, maxMs: 30 * 60_000 });
    const failovers: (number | null)[] = owned ? [] : Array.from({ length: TRIALS }, () => null);
    for (let i = 1; owned && i <= TRIALS; i++) {
      failovers.push(await failoverMs(cluster, prober, nc));
      process.stderr.write(`failover ${i}/${TRIALS}: ${failovers.at(-1)?.toFixed(0) ?? "failed"} ms\n`);
      if (failovers.at(-1) === null) reportFailure(cluster);
    }
    await prober.stop();
    // Last: the restart in place it times keeps the owner's VIPs through its grace, which a failover trial after it
    // would wait out.
    const ready = owned ? await readyMs(cluster).catch(() => Number.NaN) : Number.NaN;
    process.stderr.write(`ready_ms: ${ready}\n`);
    const ok = failovers.filter((t): t is number => t !== null).sort((a, b) => a - b);
    const maxEvent = Math.max(...[await largestEvent(nc).catch(() => Number.NaN), growth.maxBeat].filter((n) => !Number.isNaN(n)));
    simulator?.kill("SIGTERM");
    return {
      name: "scale",
      figures: {
        nodes,
        services,
        owner_ms: ownerMs,
        settle_ms: settleMs,
        vips_answered: answered,
        speaker_cpu_pct: speakerCpu.reduce((a, b) => a + b, 0) / speakerCpu.length,
        speaker_cpu_max_pct: Math.max(...speakerCpu),
        speaker_rss_mb: Math.max(...rss),
        nats_cpu_pct: cpu[speakerPids.length] ?? Number.NaN,
        ready_ms: ready,
        failover_p50_ms: Math.round(percentile(ok, 50)),
        failover_p99_ms: Math.round(percentile(ok, 99)),
        failover_failed: failovers.length - ok.length,
        log_bytes_per_s: Math.round(growth.bytesPerS),
        heartbeat_bytes: growth.maxBeat,
        max_event_bytes: maxEvent,
        load_avg_1m: load,
      },
      settings: { ...DEFAULT_MEMBERSHIP_SETTINGS, realSpeakers: REAL_NODES, allocators: 2, steadyWindowMs: STEADY_WINDOW_MS, trials: TRIALS, simulatedSubnet: "2001:db8:5c::/64 (qualifies for no VIP, never a fencing peer)" },
      machine: machineDescription(),
    };
  } finally {
    await nc?.close();
    await cluster.destroy();
  }
}
