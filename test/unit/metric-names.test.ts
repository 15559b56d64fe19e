import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { JetStreamManager } from "@nats-io/jetstream";
import { beforeAll, describe, expect, it } from "vitest";
import { registerAgentLogMetrics } from "../../src/agents/health/agentMetrics.js";
import { LogChanges } from "../../src/agents/health/logChanges.js";
import type { AgentMonitor } from "../../src/agents/health/monitor.js";
import { processMonitor } from "../../src/agents/health/processMonitor.js";
import { registerAllocatorMetrics } from "../../src/agents/allocator/allocatorMetrics.js";
import type { L2Announcer, L2AnnouncerStats } from "../../src/agents/speaker/announcer.js";
import type { BgpAnnouncer, BgpAnnouncerStats } from "../../src/agents/speaker/bgpAnnouncer.js";
import { registerSpeakerMetrics } from "../../src/agents/speaker/speakerMetrics.js";
import { registerCalloutMetrics } from "../../src/kube/natsCallout/authCallout.js";
import { labConfig, SimCluster } from "../support/simCluster.js";
import { sampleValue } from "../support/promText.js";

// The names every agent registers: MetalLB's where the meaning is the same, vipmesh_ otherwise, counters ending in
// _total, each one in docs/metrics.md with its type and labels (and the page naming nothing that is not registered).
// Values come from stand-ins for the announcers' stats: what is under test is the registry, not the announcers.

const DOC = readFileSync(join(import.meta.dirname, "../../docs/metrics.md"), "utf8");
/** `| \`name\` | type | labels | …` rows of the page's tables. */
const documented = new Map([...DOC.matchAll(/^\| `((?:vipmesh|metallb)_[a-z0-9_]+)` \| (gauge|counter) \|([^|]*)\|/gm)].map((m) => [m[1] ?? "", { type: m[2] ?? "", labels: (m[3] ?? "").match(/[a-z_]+/g) ?? [] }]));

const l2Stats: L2AnnouncerStats = {
  answering: { ipv4: 1, ipv6: 0 }, announcements: 7, announceErrors: 1, dadProbes: 0,
  conflicts: { total: 2, byVip: { "198.18.8.1": { count: 2, ifname: "eth0", lastClaimantMac: "02:00:00:00:00:99", lastAt: 0 } } },
  links: { "eth0/arp": { protocol: "arp", ifname: "eth0", answering: 1, replies: 41, conflicts: 2, dadProbes: 0, received: 50, malformed: { "arp.length": 3 }, sent: 45, sendErrors: 0, receiveErrors: 0, kernelDrops: 0 } },
};
const bgpStats: BgpAnnouncerStats = {
  peers: {
    router: {
      state: "established", established: 1, updatesSent: 4, prefixesSent: 2, unsendable: 0, updateErrors: {}, prefixesIgnored: 0, address: "198.18.0.1",
      notifications: { sent: { "6/2": 1 }, received: { "6/4": 2 } },
      bfd: { state: "Up", transmitIntervalMs: 300, receiveIntervalMs: 300, detectMultiplier: 3, upCount: 1, downCount: 0, dampening: { penalty: 1800, suppressed: true, reuseInMs: 5000 } },
    },
  },
};

let monitor: AgentMonitor;
let text: string;
let types: Map<string, string>;

beforeAll(async () => {
  const sim = new SimCluster();
  for (const n of ["node1", "node2"]) sim.addNode(n);
  sim.applyConfig(labConfig(2));
  sim.run(1_000);
  const announcer: L2Announcer = { update: () => undefined, close: async () => undefined, stats: () => l2Stats };
  const bgp: BgpAnnouncer = { begin: () => ({ restarting: false, forwarding: false, remainingMs: 0, reason: "" }) as never, update: () => undefined, close: async () => undefined, stats: () => bgpStats };
  const owned = Object.entries(sim.owners()).find(([, o]) => o === "node1")?.[0] ?? "";
  monitor = processMonitor("speaker", "test");
  registerSpeakerMetrics(monitor.metrics, {
    node: "node1", view: sim.view, announcer, bgp,
    fencing: { fenced: false, episodes: { isolated: 0, "cut-off": 1 }, counters: { probesSent: 3, probesAnswered: 2, answersReceived: 2, sendErrors: 0, dropped: { malformed: 0, "unknown-key": 0, "bad-tag": 5, replay: 0, unsolicited: 0, misdirected: 0 } } },
    claims: { won: 1, lost: 2, failed: 0 }, failovers: new LogChanges().failovers,
    answering: () => new Map([[owned, "eth0"]]),
    bgpPlan: () => null,
    healthScore: () => 2,
    memberProbes: () => ({
      pingsSent: 40, acksReceived: 38, pingsAnswered: 41, indirectSent: 2, indirectAnswers: 2, relayed: 1, sendErrors: 0,
      dropped: { malformed: 0, "unknown-key": 0, "bad-tag": 0, replay: 3, unsolicited: 0, misdirected: 0 },
      verdicts: { NodeSuspected: 1, NodeDeclaredDead: 1 },
    }),
  });
  registerAllocatorMetrics(monitor.metrics, { log: () => sim.view.log, claims: { published: 2, won: 2, lost: 0, failed: 0 } });
  const jsm = { streams: { info: async () => ({ state: { last_seq: sim.view.log.seq + 4, last_ts: new Date(sim.view.log.time + 1_500).toISOString() } }) } } as unknown as JetStreamManager;
  for (const agent of ["speaker", "allocator"]) {
    registerAgentLogMetrics(monitor, { agent, jsm, positions: { EVENTS: () => ({ seq: sim.view.log.seq, time: sim.view.log.time }) }, changes: new LogChanges(), configOutcomes: { published: 1, invalid: 0, unreadable: 0, held: 0 }, invalid: () => 0, refused: () => ({ "config-invalid": 1 }), snapshotMismatches: () => 0 });
  }
  registerCalloutMetrics(monitor, { accepted: 1, refused: { "bad-audience": 1 }, inFlight: 0 });
  text = await monitor.metrics.metrics();
  types = new Map((await monitor.metrics.getMetricsAsJSON()).map((m) => [m.name, String(m.type)]));
});

const ours = (): string[] => [...types.keys()].filter((n) => !n.startsWith("process_") && !n.startsWith("nodejs_"));

describe("metric names", () => {
  it("are MetalLB's or vipmesh_, lower snake case", () => {
    expect(ours().length).toBeGreaterThan(25);
    expect(ours().filter((n) => !/^(vipmesh|metallb)_[a-z][a-z0-9_]*$/.test(n))).toEqual([]);
  });

  it("end in _total for vipmesh's counters and never for its gauges", () => {
    const vipmesh = ours().filter((n) => n.startsWith("vipmesh_"));
    expect(vipmesh.filter((n) => types.get(n) === "counter" && !n.endsWith("_total"))).toEqual([]);
    expect(vipmesh.filter((n) => types.get(n) === "gauge" && n.endsWith("_total"))).toEqual([]);
  });

  it("are each in docs/metrics.md with their type and labels, and the page names no other", async () => {
    expect(documented.size).toBeGreaterThan(25);
    const json = await monitor.metrics.getMetricsAsJSON();
    const registered = new Map(json.filter((m) => ours().includes(m.name)).map((m) => [m.name, m]));
    for (const [name, m] of registered) {
      const doc = documented.get(name);
      expect(doc, `${name} in docs/metrics.md`).toBeDefined();
      expect(doc?.type, name).toBe(String(m.type));
      const labels = new Set(m.values.flatMap((v) => Object.keys(v.labels)));
      for (const l of labels) expect(doc?.labels, `${name}'s label ${l}`).toContain(l);
    }
    expect([...documented.keys()].filter((n) => !registered.has(n))).toEqual([]);
  });
});

describe("metric values come from what the agents keep", () => {
  it("the speaker's announcements, membership and claims", () => {
    expect(sampleValue(text, "metallb_speaker_announced", { protocol: "layer2", node: "node1" })).toBe(1);
    expect(sampleValue(text, "vipmesh_membership_nodes", { status: "alive" })).toBe(2);
    expect(sampleValue(text, "vipmesh_vip_claims_total", { result: "lost" })).toBe(2);
    expect(sampleValue(text, "vipmesh_fence_episodes_total", { cause: "cut-off" })).toBe(1);
    expect(sampleValue(text, "vipmesh_probe_drops_total", { reason: "bad-tag" })).toBe(5);
    expect(sampleValue(text, "vipmesh_failovers_total", { reason: "owner-dead" })).toBe(0);
  });

  it("the membership prober's probes, drops and verdicts", () => {
    expect(sampleValue(text, "vipmesh_member_probes_total", { kind: "ping-sent" })).toBe(40);
    expect(sampleValue(text, "vipmesh_member_probes_total", { kind: "relayed" })).toBe(1);
    expect(sampleValue(text, "vipmesh_member_probe_drops_total", { reason: "replay" })).toBe(3);
    expect(sampleValue(text, "vipmesh_member_verdicts_judged_total", { kind: "NodeDeclaredDead" })).toBe(1);
  });

  it("the announcers' counters, by interface and code", () => {
    expect(sampleValue(text, "vipmesh_l2_replies_total", { protocol: "arp", interface: "eth0" })).toBe(41);
    expect(sampleValue(text, "vipmesh_l2_malformed_frames_total", { reason: "arp.length" })).toBe(3);
    expect(sampleValue(text, "vipmesh_l2_conflicts_total", { vip: "198.18.8.1" })).toBe(2);
    expect(sampleValue(text, "metallb_bgp_session_up", { peer: "198.18.0.1" })).toBe(1);
    expect(sampleValue(text, "metallb_bgp_updates_total", { peer: "198.18.0.1" })).toBe(4);
    expect(sampleValue(text, "metallb_bfd_session_up", { peer: "198.18.0.1" })).toBe(1);
    expect(sampleValue(text, "vipmesh_bfd_session_suppressed", { peer: "198.18.0.1" })).toBe(1);
    expect(sampleValue(text, "vipmesh_bfd_dampening_penalty", { peer: "198.18.0.1" })).toBe(1800);
    expect(sampleValue(text, "vipmesh_bgp_notifications_total", { direction: "received", code: "6", subcode: "4" })).toBe(2);
    expect(sampleValue(text, "vipmesh_bgp_notifications_total", { direction: "sent", code: "6", subcode: "2" })).toBe(1);
  });

  it("the pools and the log lag of each agent", () => {
    expect(sampleValue(text, "metallb_allocator_addresses_total", { pool: "lab" })).toBe(2048);
    expect(sampleValue(text, "metallb_allocator_addresses_in_use_total", { pool: "lab" })).toBe(2);
    expect(sampleValue(text, "vipmesh_log_lag_messages", { agent: "allocator", stream: "EVENTS" })).toBe(4);
    expect(sampleValue(text, "vipmesh_log_lag_seconds", { agent: "speaker", stream: "EVENTS" })).toBe(1.5);
    expect(sampleValue(text, "vipmesh_ready")).toBe(0);
  });
});
