import { spawn } from "node:child_process";
import { pino } from "pino";
import { connectNats } from "../adapters/nats/connect.js";
import { readWholeStream } from "../adapters/nats/readLog.js";
import { STREAMS } from "../events/types.js";
import { startKubeL2Cluster } from "../lab/kubeCluster.js";
import { l2Manifests, type L2Cluster } from "../lab/l2Cluster.js";
import { labUnavailableReason } from "../lab/lab.js";
import { waitFor } from "../lab/run.js";
import { kubeBinaries } from "../testing/kubePaths.js";
import { answeringTimes, hopFigures, LogStamps, trialPrefixes, type TrialStamps } from "./createToReachableHops.js";
import { machineDescription, percentile, type BenchResult } from "./report.js";

// create-to-reachable: `kubectl apply` of a LoadBalancer Service (requesting its IP) -> the lab's client gets its
// first successful HTTP answer from the VIP. Includes kubectl itself, ingest, allocation, claim and announcement;
// each hop is timed too (createToReachableHops.ts).

const FIRST = 210;
const PROBE_INTERVAL_MS = 10;

export async function createToReachableBench(args: string[]): Promise<BenchResult> {
  const unavailable = labUnavailableReason();
  if (unavailable) throw new Error(unavailable);
  const trials = Number(args[0] ?? 20);
  const vips = Array.from({ length: trials }, (_, i) => `198.18.0.${FIRST + i}`);
  const k = await startKubeL2Cluster({ nodes: 3, vips, log: pino({ level: "warn" }) });
  const times: number[] = [];
  const stamps = new Map<number, TrialStamps>(); // by trial: Service bench<i>, vips[i]
  let failed = 0;
  try {
    const pools = await k.api.kubectl(["apply", "-f", "-"], { input: l2Manifests([]) });
    if (pools.code !== 0) throw new Error(pools.stderr);
    const watch = watchServices(k.api.kubeconfig);
    const capture = await k.cluster.lab.startCapture("create-to-reachable");
    // A running cluster: every speaker has started (its first login waits for the controllers' auth callout, up to
    // seconds after a cold start, which the first trial measured before), then 3 s for everyone to have the pool.
    const started = (node: number): boolean => k.cluster.speakerLines.some((l) => l.node === node && l.line.includes('"msg":"speaker started"'));
    await waitFor("every speaker started", () => ([1, 2, 3].every(started) ? true : undefined), 60_000, 100);
    await new Promise((r) => setTimeout(r, 3_000));
    try {
      for (const [i, vip] of vips.entries()) {
        const prober = k.cluster.lab.startProber({ url: `http://${vip}/`, intervalMs: PROBE_INTERVAL_MS, timeoutMs: 300 });
        const service = `{"apiVersion":"v1","kind":"Service","metadata":{"name":"bench${i}","namespace":"default","annotations":{"metallb.io/loadBalancerIPs":"${vip}"}},"spec":{"type":"LoadBalancer","ports":[{"port":80}]}}`;
        const at = Date.now();
        const applied = await k.api.kubectl(["apply", "-f", "-"], { input: service });
        const kubectlExited = Date.now();
        try {
          if (applied.code !== 0) throw new Error(applied.stderr);
          await prober.waitForSuccess({ after: at, timeoutMs: 15_000 });
          await prober.stop(); // every request in flight has its result: the first answer is the earliest to complete
          const reachable = prober.firstAnswerAfter(at) ?? Number.NaN;
          times.push(reachable - at);
          stamps.set(i, { ...NOT_SEEN, applied: at, kubectlExited, reachable });
        } catch (err) {
          failed++;
          process.stderr.write(`trial ${i}: ${(err as Error).message}\n`);
        } finally {
          await prober.stop();
        }
      }
      await new Promise((r) => setTimeout(r, 500)); // the last status write and watch line
    } finally {
      watch.stop();
      await capture.stop();
    }
    await stampFromLog(k.cluster, stamps, vips);
    const garps = capture.answersByVip(vips);
    const answering = answeringTimes(k.cluster.speakerLines.map((l) => l.line));
    for (const [i, s] of stamps) {
      const vip = vips[i] ?? "";
      s.watchAdded = watch.added.get(`bench${i}`) ?? null;
      s.statusWritten = watch.ingress.get(`bench${i}`) ?? null;
      s.speakerAnswering = answering.get(vip) ?? null;
      s.garpOnWire = garps.get(vip)?.find((a) => a.kind === "gratuitous" && a.t >= s.applied)?.t ?? null;
    }
    explainSlowTrials(stamps, vips, k.cluster.speakerLines);
  } finally {
    await k.destroy();
  }
  const sorted = [...times].sort((a, b) => a - b);
  return {
    name: "create-to-reachable",
    figures: { trials, p50_ms: Math.round(percentile(sorted, 50)), p99_ms: Math.round(percentile(sorted, 99)), failed, ...hopFigures([...stamps.values()]) },
    settings: { nodes: 3, controllers: 2, probeIntervalMs: PROBE_INTERVAL_MS },
    machine: machineDescription(),
  };
}

const NOT_SEEN = { kubectlExited: null, watchAdded: null, configLogged: null, allocationLogged: null, claimLogged: null, speakerAnswering: null, garpOnWire: null, reachable: null, statusWritten: null };

/** The log's own stamps of each trial's config object, allocation and claim (trial i is Service bench<i>, vips[i]). */
async function stampFromLog(cluster: Pick<L2Cluster, "hostNatsUrls" | "lab">, stamps: Map<number, TrialStamps>, vips: string[]): Promise<void> {
  const prefixes = vips.map((vip, i) => trialPrefixes(`default/bench${i}`, vip));
  const log = new LogStamps(prefixes.flatMap((p) => [p.config, p.ip, p.vip]));
  const nc = await connectNats({ servers: await cluster.hostNatsUrls(), security: cluster.lab.natsClient(), name: "bench-create-to-reachable", pingIntervalMs: 5_000 });
  try {
    await readWholeStream(nc, STREAMS.events, (batch) => log.add(batch), { stallMs: 10_000 });
  } finally {
    await nc.close();
  }
  for (const [i, s] of stamps) {
    const p = prefixes[i];
    if (!p) continue;
    s.configLogged = log.at(p.config);
    s.allocationLogged = log.at(p.ip);
    s.claimLogged = log.at(p.vip);
  }
}

const SLOW_TRIAL_MS = 1_000;

/** On stderr, for each trial slower than SLOW_TRIAL_MS: its stamps after the apply and the speakers' lines about its VIP. */
function explainSlowTrials(stamps: Map<number, TrialStamps>, vips: string[], lines: readonly { node: number; line: string }[]): void {
  for (const [i, s] of stamps) {
    const vip = vips[i] ?? "";
    if (s.reachable === null || s.reachable - s.applied <= SLOW_TRIAL_MS) continue;
    const rel = Object.entries(s).filter(([k, v]) => k !== "applied" && v !== null).map(([k, v]) => `${k} +${Math.round((v as number) - s.applied)}`);
    process.stderr.write(`slow trial ${i} (${vip}): ${rel.join(", ")}\n`);
    for (const { node, line } of lines) {
      if (!line.includes(`"${vip}"`)) continue;
      const t = /"time":(\d+)/.exec(line)?.[1];
      if (t === undefined) continue;
      if (Number(t) >= s.applied && Number(t) <= s.reachable) process.stderr.write(`  node${node} +${Number(t) - s.applied}: ${line}\n`);
    }
  }
}

/**
 * `kubectl get services -w` beside the controllers: when the API server's watch delivered each Service (ADDED) and
 * its first status with an address (the status writer's write).
 */
function watchServices(kubeconfig: string): { added: Map<string, number>; ingress: Map<string, number>; stop: () => void } {
  const template = '{{.type}} {{.object.metadata.name}} {{range .object.status.loadBalancer.ingress}}{{.ip}}{{end}}{{"\\n"}}';
  const child = spawn(kubeBinaries().kubectl, ["--kubeconfig", kubeconfig, "get", "services", "-n", "default", "-w", "--output-watch-events", "-o", `go-template=${template}`], { stdio: ["ignore", "pipe", "inherit"] });
  const added = new Map<string, number>();
  const ingress = new Map<string, number>();
  let rest = "";
  child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
    const now = Date.now();
    const lines = (rest + chunk).split("\n");
    rest = lines.pop() ?? "";
    for (const line of lines) {
      const [type, name, ip] = line.trim().split(" ");
      if (!name) continue;
      if (type === "ADDED" && !added.has(name)) added.set(name, now);
      if (ip && !ingress.has(name)) ingress.set(name, now);
    }
  });
  return { added, ingress, stop: () => void child.kill("SIGTERM") };
}
