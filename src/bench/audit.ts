import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { jetstream } from "@nats-io/jetstream";
import { connectNats } from "../adapters/nats/connect.js";
import { initLog } from "../adapters/nats/logInit.js";
import { SNAPSHOT_BUCKET, SNAPSHOT_KEY_LIST } from "../adapters/nats/snapshots.js";
import { natsSource } from "../agents/replay/logSource.js";
import { readWholeStream } from "../adapters/nats/readLog.js";
import { auditSource } from "../cli/auditCommand.js";
import { decodeLogEntries, type Decoded } from "../events/entries.js";
import { subjects } from "../events/subjects.js";
import { STREAMS, type DomainEvent, type LogEvent } from "../events/types.js";
import type { Finding } from "../projections/audit/findings.js";
import { applyLogBatch } from "../projections/batch.js";
import { emptyLogState } from "../projections/logState.js";
import { DEFAULT_MEMBERSHIP_SETTINGS } from "../projections/settings.js";
import { encodeSnapshot } from "../projections/snapshot.js";
import { startNatsServer } from "../testing/localNatsServer.js";
import { ClusterSim, vipOf, type Injected } from "./auditSim.js";
import { machineDescription, type BenchResult } from "./report.js";

// `npm run bench -- audit [messages]`: a simulated cluster writes a log of 1,000,000 messages (both streams) to a real
// nats-server (mutual TLS, as every test server), anomalies injected among the lab's fault-matrix patterns; then the
// same log is read raw (nothing decoded) and audited, in the same run. Filling the log is set-up, not measured.

const NODES = 200;
const VIPS = 300;
const SPARES = 10;
const SCENARIO_EVERY_MS = 400;

function configEvent(spareRequests: ReadonlyMap<number, string>): DomainEvent {
  const svc = (name: string, requestedIps: string[]) => ({
    namespace: "bench", name, labels: {}, requestedIps, requestedPool: null, sharingKey: null, loadBalancerClass: null, ipFamilyPolicy: "SingleStack" as const,
    ipFamilies: [4 as const], ports: [{ port: 80, protocol: "TCP" as const }], selector: { app: name }, externalTrafficPolicy: "Cluster" as const, statusIps: [], readyEndpointNodes: [],
  });
  const services = [...Array.from({ length: VIPS }, (_, i) => svc(`svc-${i}`, [])), ...Array.from({ length: SPARES }, (_, j) => svc(`spare-${j}`, spareRequests.has(j) ? [spareRequests.get(j) ?? ""] : []))];
  const pool = { name: "p", addresses: ["198.18.0.0/16"], autoAssign: true, avoidBuggyIPs: false, labels: {}, serviceAllocation: null };
  return { type: "ConfigApplied", data: { source: "file", hash: `bench-${spareRequests.size}-${[...spareRequests.values()].join(",")}`, config: { pools: [pool], l2Advertisements: [], services, nodes: [], namespaces: [] } } };
}

/** Plays the fault matrix until `target` messages are written; anomalies at a quarter, a half and three quarters. */
async function fill(sim: ClusterSim, target: number): Promise<void> {
  const spareIps = new Map(Array.from({ length: SPARES }, (_, j) => [j, `198.18.4.${j + 1}`]));
  const requests = new Map<number, string>();
  await sim.setUp(configEvent(requests), [...Array.from({ length: VIPS }, (_, i) => ({ ip: vipOf(i), service: `bench/svc-${i}` })), ...[...spareIps].map(([j, ip]) => ({ ip, service: `bench/spare-${j}` }))]);
  let step = 0;
  let nextScenario = Date.now();
  let anomalies = 1;
  while (sim.published < target || sim.busy) {
    await sim.round();
    const now = Date.now();
    await sim.due(now);
    if (sim.published >= target || now < nextScenario) continue;
    nextScenario = now + SCENARIO_EVERY_MS;
    step++;
    const node = `node${(step * 7) % NODES}`;
    if (anomalies <= 3 && sim.published >= (target * anomalies) / 4) {
      anomalies++;
      await sim.duplicateClaim(sim.vip(step));
      await sim.falseClaim(sim.vip(step + 1));
      await renumber(sim, spareIps, step, null);
      if (sim.node(node).up) sim.cutOff(node, now, false);
      continue;
    }
    if (!sim.node(node).up) continue;
    switch (step % 5) {
      case 0: sim.kill(node, now); break;
      case 1: sim.cutOff(node, now, true); break;
      case 2: await sim.drain(node, now); break;
      case 3: await sim.conflict(sim.vip(step)); break;
      default: await renumber(sim, spareIps, step, requests);
    }
  }
}

/** A spare Service moved to another IP: by its own edit (`requests`), or, injected, with no edit at all. */
async function renumber(sim: ClusterSim, spareIps: Map<number, string>, step: number, requests: Map<number, string> | null): Promise<void> {
  const j = step % SPARES;
  const from = spareIps.get(j) ?? "";
  const to = `198.18.${5 + Math.floor(step / 250)}.${(step % 250) + 1}`;
  if (requests) {
    requests.set(j, to);
    await sim.publish(subjects.config("file"), configEvent(requests));
  }
  const seq = await sim.release(from, `bench/spare-${j}`);
  await sim.allocate(to, `bench/spare-${j}`);
  spareIps.set(j, to);
  if (!requests) sim.injected.push({ check: "allocation-moved", seq });
}

/** A true snapshot under one key, a tampered one (a VIP's owner changed) under the other. */
async function snapshots(nc: NatsConnection, sim: ClusterSim): Promise<void> {
  const events: Decoded<LogEvent>[] = [];
  await readWholeStream(nc, STREAMS.events, (b) => events.push(...decodeLogEntries(b, () => undefined)));
  const at = (seq: number) => applyLogBatch(emptyLogState(), events.filter((e) => e.meta.seq <= seq));
  const kv = await new Kvm(nc).open(SNAPSHOT_BUCKET);
  const half = Math.floor(events.length / 2);
  await kv.put(SNAPSHOT_KEY_LIST[0] ?? "", encodeSnapshot(at(half)));
  const tamperedAt = at(half + 1);
  const vip = vipOf(0);
  await kv.put(SNAPSHOT_KEY_LIST[1] ?? "", encodeSnapshot({ ...tamperedAt, vips: { ...tamperedAt.vips, [vip]: { ...tamperedAt.vips[vip]!, owner: "node-tampered" } } }));
  sim.injected.push({ check: "snapshot-mismatch", seq: half + 1 });
}

/** Both streams read with nothing decoded or applied: messages per second. */
async function rawRead(nc: NatsConnection): Promise<number> {
  const started = performance.now();
  let raw = 0;
  for (const stream of [STREAMS.events, STREAMS.heartbeats]) raw += await readWholeStream(nc, stream, () => undefined);
  return Math.round(raw / ((performance.now() - started) / 1000));
}

const matches = (f: Finding, i: Injected): boolean => f.check === i.check && f.events.some((e) => e.stream === "EVENTS" && e.seq === i.seq);

export async function auditBench(args: string[]): Promise<BenchResult> {
  const target = Number(args[0] ?? 1_000_000);
  const server = await startNatsServer({ syncAlways: false, initLog: false });
  try {
    const admin = await connectNats({ servers: [server.url], security: server.client("admin"), name: "bench-audit-writer", pingIntervalMs: 10_000 });
    // Heartbeats are kept for the whole run (a cluster keeps 60 s): the audit must see the evidence of every claim.
    await initLog(admin, { replicas: 1, heartbeatsMaxAgeMs: 3_600_000 });
    const sim = new ClusterSim(jetstream(admin), NODES, VIPS);
    await fill(sim, target);
    await snapshots(admin, sim);
    await admin.close();
    const reader = await connectNats({ servers: [server.url], security: server.client("reader"), name: "bench-audit-reader", pingIntervalMs: 10_000 });
    const before = await rawRead(reader);
    const started = performance.now();
    const report = await auditSource(natsSource(reader, server.url, 60_000), { membership: DEFAULT_MEMBERSHIP_SETTINGS, handoverBoundMs: 250 });
    const seconds = (performance.now() - started) / 1000;
    // Read raw again after the audit and keep the faster: the first read of a stream can be the slower one.
    const after = await rawRead(reader);
    await reader.close();
    const events = report.counts.events + report.counts.heartbeats;
    const violations = report.findings.filter((f) => f.level === "violation");
    const found = sim.injected.filter((i) => violations.some((f) => matches(f, i))).length;
    const falseFindings = violations.filter((f) => !sim.injected.some((i) => matches(f, i))).length;
    const eventsPerS = Math.round(events / seconds);
    const rawPerS = Math.max(before, after);
    return {
      name: "audit",
      figures: { events, events_per_s: eventsPerS, anomalies_injected: sim.injected.length, anomalies_found: found, false_findings: falseFindings, raw_read_per_s: rawPerS, read_ratio: Number((eventsPerS / rawPerS).toFixed(2)), notes: report.counts.notes, listed: report.counts.listings, seconds: Number(seconds.toFixed(2)) },
      settings: { nodes: NODES, vips: VIPS, log: "simulated cluster writing to a real nats-server (TLS), heartbeats kept 1 h", patterns: "kill, cut-off+fence, drain, conflict, renumber by edit", anomalies: "duplicate claim, claim while owner beats, renumber without edit, cut-off owner that did not fence, tampered snapshot" },
      machine: machineDescription(),
    };
  } finally {
    await server.stop();
  }
}
