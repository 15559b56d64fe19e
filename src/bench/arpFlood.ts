import { pino } from "pino";
import { L2Cluster } from "../lab/l2Cluster.js";
import { labUnavailableReason } from "../lab/lab.js";
import { labScript } from "../lab/paths.js";
import { nodeRole } from "../lab/topology.js";
import { connectNats } from "../adapters/nats/connect.js";
import { readWholeStream } from "../adapters/nats/readLog.js";
import { subjects } from "../events/subjects.js";
import { DEFAULT_MEMBERSHIP_SETTINGS } from "../projections/settings.js";
import { machineDescription, percentile, type BenchResult } from "./report.js";

// 10,000 ARP requests per second at the owner of a VIP, from the client namespace: p99 reply latency as the
// client sees it, and how regular the owner's heartbeats stayed meanwhile (deviation of the intervals between its
// heartbeats as stored by the stream, from the nominal interval).

const VIP = "198.18.0.200";

export async function arpFloodBench(args: string[]): Promise<BenchResult> {
  const unavailable = labUnavailableReason();
  if (unavailable) throw new Error(unavailable);
  const rate = Number(args[0] ?? 10_000);
  const seconds = Number(args[1] ?? 10);
  const cluster = await L2Cluster.start({ nodes: 3, vips: [VIP], log: pino({ level: "warn" }) });
  try {
    const owner = await cluster.waitForOwner(VIP, 20_000);
    await new Promise((r) => setTimeout(r, 2_000));
    let summary: Record<string, number> = {};
    const flood = cluster.lab.spawn("client", [process.execPath, labScript("arp-flood.mjs"), "--vip", VIP, "--dst", cluster.lab.nodeMac(owner), "--rate", String(rate), "--seconds", String(seconds)], {
      name: "arp-flood",
      onLine: (line) => (summary = JSON.parse(line) as Record<string, number>),
    });
    await flood.exited;
    const from = summary["startedAt"] ?? 0;
    const jitter = await heartbeatJitter(cluster, nodeRole(owner), from, from + seconds * 1000);
    return {
      name: "arp-flood",
      figures: {
        requests_sent: summary["sent"] ?? 0,
        replies: summary["received"] ?? 0,
        reply_p50_ms: Number((summary["p50_ms"] ?? Number.NaN).toFixed(3)),
        reply_p99_ms: Number((summary["p99_ms"] ?? Number.NaN).toFixed(3)),
        heartbeat_jitter_ms: Number(jitter.p99.toFixed(1)),
        heartbeat_jitter_max_ms: Number(jitter.max.toFixed(1)),
      },
      settings: { rate, seconds, heartbeatIntervalMs: DEFAULT_MEMBERSHIP_SETTINGS.heartbeatIntervalMs, requests: "unicast to the owner's MAC, distinct sender per request" },
      machine: machineDescription(),
    };
  } finally {
    await cluster.destroy();
  }
}

async function heartbeatJitter(cluster: L2Cluster, node: string, from: number, to: number): Promise<{ p99: number; max: number }> {
  const nc = await connectNats({ servers: await cluster.hostNatsUrls(), security: cluster.lab.natsClient(), name: "bench-jitter", pingIntervalMs: 5_000 });
  const times: number[] = [];
  await readWholeStream(nc, "HEARTBEATS", (batch) => {
    for (const m of batch) if (m.meta.subject === subjects.heartbeat(node) && m.meta.time >= from && m.meta.time <= to) times.push(m.meta.time);
  });
  await nc.close();
  const deviations = times.slice(1).map((t, i) => Math.abs(t - (times[i] ?? t) - DEFAULT_MEMBERSHIP_SETTINGS.heartbeatIntervalMs)).sort((a, b) => a - b);
  return { p99: percentile(deviations, 99), max: deviations.at(-1) ?? Number.NaN };
}
