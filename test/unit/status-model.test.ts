import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { formatStatus } from "../../src/cli/statusFormat.js";
import type { ClusterConfig } from "../../src/config/types.js";
import { encodeEvent } from "../../src/events/codec.js";
import { decodeHeartbeatEntries, decodeLogEntries } from "../../src/events/entries.js";
import { subjects } from "../../src/events/subjects.js";
import type { BgpSessionReport, LogEvent } from "../../src/events/types.js";
import { applyHeartbeatBatch } from "../../src/projections/batch.js";
import { emptyMembership } from "../../src/projections/membership.js";
import { DEFAULT_MEMBERSHIP_SETTINGS } from "../../src/projections/settings.js";
import { StatusLogReader } from "../../src/projections/status/statusLog.js";
import { clusterStatus, type ClusterStatus } from "../../src/projections/status/statusModel.js";
import { clusterConfig, pool, service } from "../support/ipamFixtures.js";

// The pure status model over hand-built logs: what an operator sees (golden text and JSON) for a healthy cluster and
// for each kind of trouble. UPDATE_GOLDEN=1 rewrites the golden files; a diff in review is the change in the output.

const T = Date.UTC(2026, 11, 5, 6, 0, 0);
const INC = { node1: T - 100_000, node2: T - 90_000 } as const;
const settings = { membership: DEFAULT_MEMBERSHIP_SETTINGS, handoverBoundMs: 250, poolWarnPercent: 90 };
const l2 = { name: "l2", ipAddressPools: ["lab"], ipAddressPoolSelectors: [], nodeSelectors: [], serviceSelectors: [], preferredNodeSelectors: [], interfaces: [] };
const bgpPeer = {
  name: "router", myASN: 64512, peerASN: 64500, dynamicASN: null, peerAddress: "198.18.2.1", sourceAddress: null, peerPort: 179, routerID: null, holdTimeMs: null,
  keepaliveTimeMs: null, connectTimeMs: null, password: null, ebgpMultiHop: false, nodeSelectors: [], enableGracefulRestart: false, dualStackAddressFamily: false, vrf: null, bfdProfile: "fast",
};
const config = (services: number): ClusterConfig =>
  clusterConfig({
    pools: [pool("lab", ["198.18.0.10-198.18.0.29"])],
    l2Advertisements: [l2],
    services: Array.from({ length: services }, (_, i) => service(`default/web${i}`)),
    nodes: [{ name: "node1", labels: {}, ready: true, networkUnavailable: false }, { name: "node2", labels: {}, ready: true, networkUnavailable: false }],
    bgp: { peers: [bgpPeer], advertisements: [], bfdProfiles: [{ name: "fast", receiveInterval: 300, transmitInterval: 300, echoMode: false, passiveMode: false }] },
  });
const sharing = { key: null, backendKey: "", ports: ["TCP/80"] };
const evidence = { previousOwner: null, previousOwnerStatus: null, previousOwnerLastHeardAt: null, silentForMs: null, observedAt: T, heartbeatSeq: 1, eligibleNodes: 2 };
const established = (over: Partial<BgpSessionReport> = {}): BgpSessionReport => ({ peer: "router", address: "198.18.2.1", peerASN: 64500, state: "established", since: T + 100, prefixesSent: 1, bfd: { profile: "fast", status: "Up" }, ...over });

type Scenario = { services?: number; vipOwner?: "node1" | "node2"; node2StopsAt?: number; fence?: boolean; node2Session?: BgpSessionReport };

function subjectOf(e: LogEvent): string {
  switch (e.type) {
    case "ConfigApplied": return subjects.config(e.data.source);
    case "IpAllocated": return subjects.ipClaim(e.data.ip, "a1");
    case "VipClaimed": return subjects.vipClaim(e.data.vip, e.data.node);
    case "FenceEntered":
    case "BgpSessionsChanged": return subjects.announce(e.data.node);
    default: throw new Error(e.type);
  }
}

function statusOf(sc: Scenario): ClusterStatus {
  const services = sc.services ?? 1;
  const owner = sc.vipOwner ?? "node1";
  const events: LogEvent[] = [
    { type: "ConfigApplied", data: { source: "file", hash: "a9c1894bcaca0123", config: config(services) } },
    ...Array.from({ length: services }, (_, i): LogEvent => ({ type: "IpAllocated", data: { ip: `198.18.0.${10 + i}`, service: `default/web${i}`, pool: "lab", reason: "auto-assign", sharing, lbClass: null, evidence: { allocator: "a1", configHash: "a9c1894bcaca0123", observedSeq: 1 } } })),
    ...Array.from({ length: services }, (_, i): LogEvent => {
      const node = i === 0 ? owner : "node1";
      return { type: "VipClaimed", data: { vip: `198.18.0.${10 + i}`, node, incarnation: INC[node], term: 1, reason: "unowned", evidence } };
    }),
    { type: "BgpSessionsChanged", data: { node: "node1", incarnation: INC.node1, backend: "native", sessions: [established()] } },
    { type: "BgpSessionsChanged", data: { node: "node2", incarnation: INC.node2, backend: "frr", sessions: [sc.node2Session ?? established({ since: T + 150 })] } },
    ...(sc.fence ? [{ type: "FenceEntered", data: { node: "node1", incarnation: INC.node1, reason: "log-unreachable", at: T + 1_500 } } as LogEvent] : []),
  ];
  const reader = new StatusLogReader();
  reader.apply(decodeLogEntries(events.map((e, i) => ({ meta: { stream: "EVENTS", seq: i + 1, time: T + i * 10 + (e.type === "FenceEntered" ? 1_500 : 0), subject: subjectOf(e) }, data: encodeEvent(e) })), () => undefined));
  const beats = [];
  let seq = 0;
  for (let t = 0; t <= 2_000; t += 50) {
    for (const node of ["node1", "node2"] as const) {
      if (node === "node2" && sc.node2StopsAt !== undefined && t > sc.node2StopsAt) continue;
      const data = encodeEvent({ type: "NodeHeartbeatRecorded", data: { node, incarnation: INC[node], beat: t / 50, ready: true, version: "0.1.0", health: 0 } });
      beats.push({ meta: { stream: "HEARTBEATS" as const, seq: ++seq, time: T + t, subject: subjects.heartbeat(node) }, data });
    }
  }
  const members = applyHeartbeatBatch(emptyMembership(), decodeHeartbeatEntries(beats, () => undefined), settings.membership);
  return clusterStatus(reader.result(), members, settings, T + 2_000);
}

function golden(name: string, actual: string): string {
  const path = `test/fixtures/status/${name}`;
  if (process.env["UPDATE_GOLDEN"] === "1") writeFileSync(path, `${actual}\n`);
  if (!existsSync(path)) throw new Error(`${path} missing: run with UPDATE_GOLDEN=1 and review it`);
  return readFileSync(path, "utf8").replace(/\n$/, "");
}

describe("vipmesh status, pure", () => {
  it.each<[string, Scenario, string[]]>([
    ["healthy", {}, []],
    ["unowned-vip", { vipOwner: "node2", node2StopsAt: 1_000 }, ["vip-unowned", "node-dead"]],
    ["fenced-node", { fence: true }, ["node-fenced"]],
    ["pool-95", { services: 19 }, ["pool-nearly-exhausted"]],
    ["bgp-down", { node2Session: established({ state: "active", since: T + 900, prefixesSent: 0, bfd: { profile: "fast", status: "Down" } }) }, ["bgp-session-down"]],
  ])("%s: problems %j, golden text and JSON", (name, scenario, codes) => {
    const status = statusOf(scenario);
    expect(status.problems.map((p) => p.code)).toEqual(codes);
    expect(formatStatus(status, "hand-built log")).toBe(golden(`${name}.txt`, formatStatus(status, "hand-built log")));
    expect(JSON.stringify(status, null, 2)).toBe(golden(`${name}.json`, JSON.stringify(status, null, 2)));
  });

  it("a VIP whose owner died is not a problem while the failover is within the handover bound", () => {
    const status = statusOf({ vipOwner: "node2", node2StopsAt: 1_650 });
    expect(status.vips[0]).toMatchObject({ owner: "node2", ownerStatus: "dead" });
    expect(status.problems.map((p) => p.code)).toEqual(["node-dead"]);
    const later = statusOf({ vipOwner: "node2", node2StopsAt: 1_400 });
    expect(later.vips[0]?.ownerStatus).toBe("dead");
    expect(later.problems.map((p) => p.code)).toContain("vip-unowned");
  });

  it("a fence the node has left, and a session report of an older incarnation, are no problems", () => {
    const reader = new StatusLogReader();
    const e = (seq: number, event: LogEvent) => ({ meta: { stream: "EVENTS" as const, seq, time: T + seq, subject: subjects.announce("node1") }, data: encodeEvent(event) });
    reader.apply(decodeLogEntries([
      e(1, { type: "FenceEntered", data: { node: "node1", incarnation: 5, reason: "log-unreachable", at: T } }),
      e(2, { type: "FenceLeft", data: { node: "node1", incarnation: 5, reason: "log-unreachable", enteredAt: T, leftAt: T + 900, unfenceReason: "log back" } }),
      e(3, { type: "BgpSessionsChanged", data: { node: "node1", incarnation: 7, backend: "native", sessions: [established()] } }),
      e(4, { type: "BgpSessionsChanged", data: { node: "node1", incarnation: 6, backend: "native", sessions: [established({ state: "idle" })] } }),
    ], () => undefined));
    const s = reader.result();
    expect(s.fenced).toEqual({});
    // The closed episode is kept whole (from its FenceLeft, which a node cut off from NATS publishes once back).
    expect(s.unfencedAt["node1"]).toEqual({ incarnation: 5, reason: "log-unreachable", enteredAt: T, leftAt: T + 900, loggedAt: T + 2 });
    const row = clusterStatus(s, emptyMembership(), settings, T + 10_000).nodes.find((n) => n.node === "node1");
    expect(row).toMatchObject({ fenced: null, lastFence: { reason: "log-unreachable", enteredAt: T, leftAt: T + 900, loggedAt: T + 2 } });
    expect(formatStatus(clusterStatus(s, emptyMembership(), settings, T + 10_000), "hand-built log")).toMatch(/node1 .* no \(last: log-unreachable for 0\.9 s, logged 10\.0 s ago\)/);
    // A FenceEntered of the closed episode that reaches the log late (published while cut off) opens nothing; a new one does.
    reader.apply(decodeLogEntries([e(5, { type: "FenceEntered", data: { node: "node1", incarnation: 5, reason: "log-unreachable", at: T } })], () => undefined));
    expect(reader.result().fenced).toEqual({});
    reader.apply(decodeLogEntries([e(6, { type: "FenceEntered", data: { node: "node1", incarnation: 5, reason: "isolated", at: T + 1_000 } })], () => undefined));
    expect(Object.keys(reader.result().fenced)).toEqual(["node1"]);
    expect(s.sessions["node1"]?.sessions[0]?.state).toBe("established");
  });

  it("lists a refused configuration revision and forged events since the one in force", () => {
    const reader = new StatusLogReader();
    const good = config(1);
    const bad: ClusterConfig = { ...good, pools: [pool("all", ["0.0.0.0/0"])] };
    reader.apply(decodeLogEntries([
      { meta: { stream: "EVENTS", seq: 1, time: T, subject: subjects.config("file") }, data: encodeEvent({ type: "ConfigApplied", data: { source: "file", hash: "good", config: good } }) },
      { meta: { stream: "EVENTS", seq: 2, time: T + 1, subject: subjects.config("file") }, data: encodeEvent({ type: "ConfigApplied", data: { source: "file", hash: "bad", config: bad } }) },
      { meta: { stream: "EVENTS", seq: 3, time: T + 2, subject: subjects.announce("node9") }, data: encodeEvent({ type: "BgpSessionsChanged", data: { node: "node1", incarnation: 1, backend: "native", sessions: [] } }) },
      { meta: { stream: "EVENTS", seq: 4, time: T + 3, subject: subjects.announce("node1") }, data: new TextEncoder().encode("{not json") },
    ], () => undefined));
    const status = clusterStatus(reader.result(), emptyMembership(), settings, T + 3);
    expect(status.config.revision).toMatchObject({ hash: "good", seq: 1 });
    expect(status.problems.filter((p) => p.code.startsWith("config") || p.code === "events-refused").map((p) => [p.code, p.about])).toEqual([
      ["config-refused", "EVENTS #2"],
      ["events-refused", "log"],
    ]);
    expect(status.problems.find((p) => p.code === "events-refused")?.detail).toMatch(/^2 message\(s\) refused since the configuration in force \(identity, not-json\)/);
  });
});
