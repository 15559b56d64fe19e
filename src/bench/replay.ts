import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { connectNats } from "../adapters/nats/connect.js";
import { ensureStreams, DEFAULT_STREAM_SETTINGS } from "../adapters/nats/streams.js";
import { readWholeStream } from "../adapters/nats/readLog.js";
import { encodeEvent } from "../events/codec.js";
import { decodeLogEntries } from "../events/entries.js";
import { subjects } from "../events/subjects.js";
import type { LogEvent } from "../events/types.js";
import { LogReplayer } from "../projections/batch.js";
import { emptyLogState } from "../projections/logState.js";
import { startNatsServer } from "../testing/localNatsServer.js";
import { machineDescription, type BenchResult } from "./report.js";

// Events per second through the projections, read from a real JetStream stream of N events:
// claim chains over many VIPs with the occasional leave, as a long-lived cluster's log would hold.

const benchVip = (k: number): string => `198.18.${8 + Math.floor(k / 250)}.${k % 250 + 1}`;

/** What comes before the claims: a configuration whose pool holds every VIP, and an allocation of each (claims for unallocated addresses are refused). */
function setupEvents(vips: number): { subject: string; event: LogEvent }[] {
  const pool = { name: "bench", addresses: ["198.18.8.0/22"], autoAssign: true, avoidBuggyIPs: false, labels: {}, serviceAllocation: null };
  const config: LogEvent = { type: "ConfigApplied", data: { source: "file", hash: "bench", config: { pools: [pool], l2Advertisements: [], services: [], nodes: [], namespaces: [] } } };
  const allocation = (k: number): { subject: string; event: LogEvent } => ({
    subject: subjects.ipClaim(benchVip(k), "bench"),
    event: { type: "IpAllocated", data: { ip: benchVip(k), service: `bench/s${k}`, pool: "bench", reason: "auto-assign", sharing: { key: null, backendKey: "", ports: ["TCP/80"] }, lbClass: null, evidence: { allocator: "bench", configHash: "bench", observedSeq: 0 } } },
  });
  return [{ subject: subjects.config("file"), event: config }, ...Array.from({ length: vips }, (_, k) => allocation(k))];
}

function syntheticEvent(i: number, vips: number): { subject: string; event: LogEvent } {
  const vip = benchVip(i % vips);
  if (i % 500 === 499) return { subject: subjects.nodeLifecycle(`node${i % 7}`), event: { type: "NodeLeft", data: { node: `node${i % 7}`, incarnation: i, reason: "drain" } } };
  return {
    subject: subjects.vipClaim(vip, `node${i % 7}`),
    event: {
      type: "VipClaimed",
      data: {
        vip, node: `node${i % 7}`, incarnation: 1, term: Math.floor(i / vips) + 1, reason: "owner-dead",
        evidence: { previousOwner: `node${(i + 1) % 7}`, previousOwnerStatus: "dead", previousOwnerLastHeardAt: 1.7e12 + i, silentForMs: 312, observedAt: 1.7e12 + i, heartbeatSeq: i * 3, eligibleNodes: 6 },
      },
    },
  };
}

export async function replayBench(args: string[]): Promise<BenchResult> {
  const events = Number(args[0] ?? 1_000_000);
  const vips = 1_000;
  // Filling the stream is set-up, not the measurement: without a sync per write it takes seconds, not minutes.
  const server = await startNatsServer({ syncAlways: false });
  try {
    const nc = await connectNats({ servers: [server.url], security: server.client(), name: "bench-replay", pingIntervalMs: 10_000 });
    await ensureStreams(await jetstreamManager(nc), DEFAULT_STREAM_SETTINGS);
    const js = jetstream(nc);
    const setup = setupEvents(vips);
    await Promise.all(setup.map(({ subject, event }) => js.publish(subject, encodeEvent(event))));
    const window = 2_000;
    for (let base = 0; base < events; base += window) {
      const acks = [];
      for (let i = base; i < Math.min(events, base + window); i++) {
        const { subject, event } = syntheticEvent(i, vips);
        acks.push(js.publish(subject, encodeEvent(event)));
      }
      await Promise.all(acks);
    }
    // The limit: the same stream read in the same run with nothing decoded or applied.
    const rawStarted = performance.now();
    const rawRead = await readWholeStream(nc, "EVENTS", () => undefined);
    const rawPerS = Math.round(rawRead / ((performance.now() - rawStarted) / 1000));
    const raw: { count: number } = { count: 0 };
    const replayer = new LogReplayer(emptyLogState());
    let invalid = 0;
    const started = performance.now();
    await readWholeStream(nc, "EVENTS", (batch) => {
      raw.count += batch.length;
      replayer.apply(decodeLogEntries(batch, () => invalid++));
    });
    const state = replayer.result();
    const seconds = (performance.now() - started) / 1000;
    await nc.close();
    const refused = Object.values(state.refused).reduce((a, b) => a + b, 0);
    if (raw.count !== events + setup.length || invalid !== 0 || refused !== 0) throw new Error(`replayed ${raw.count} events (${invalid} invalid, ${refused} refused), expected ${events + setup.length}`);
    return {
      name: "replay",
      figures: { events: raw.count, events_per_s: Math.round(raw.count / seconds), raw_read_per_s: rawPerS, read_ratio: Number((raw.count / seconds / rawPerS).toFixed(2)), seconds: Number(seconds.toFixed(2)), vips_owned: Object.keys(state.vips).length },
      settings: { vips, setup_events: setup.length, storage: "file", sync_interval: "server default (reads are measured)", batch: 5_000, projection: "LogReplayer (reducers on a private mutable copy)" },
      machine: machineDescription(),
    };
  } finally {
    await server.stop();
  }
}
