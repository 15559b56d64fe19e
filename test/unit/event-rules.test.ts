import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { formatRow } from "../../src/cli/replayFormat.js";
import { configRuleProblems } from "../../src/config/configRules.js";
import { checkManifests, parseManifests } from "../../src/config/parseManifests.js";
import type { BgpAdvertisementConfig, BgpPeerConfig, ClusterConfig } from "../../src/config/types.js";
import { decodeEvent, encodeEvent } from "../../src/events/codec.js";
import { decodeLogEntries, type RawEntry } from "../../src/events/entries.js";
import { MAX_CONFIG_EVENT_BYTES, MAX_EVENT_BYTES } from "../../src/events/limits.js";
import { subjects } from "../../src/events/subjects.js";
import type { DomainEvent, EventMeta, IpAllocated, LogEvent, VipClaimed } from "../../src/events/types.js";
import { applyLogBatch } from "../../src/projections/batch.js";
import { refusalsByReason } from "../../src/projections/eventRules.js";
import { ipRecord } from "../../src/projections/ipam/state.js";
import { emptyLogState, type LogState } from "../../src/projections/logState.js";
import { buildTimeline } from "../../src/projections/timeline.js";

// Events are checked for meaning at the projection, with the rules configuration validation and IPAM apply: a forged
// event that decodes is still refused (counted per reason, shown by replay) and changes nothing else.

const ignore = (): void => undefined;
const pool = (name: string, addresses: string[]) => ({ name, addresses, autoAssign: true, avoidBuggyIPs: false, labels: {}, serviceAllocation: null });
const config = (over: Partial<ClusterConfig> = {}): ClusterConfig => ({ pools: [pool("p", ["198.18.0.0/24"])], l2Advertisements: [], services: [], nodes: [], namespaces: [], ...over });
const applied = (c: ClusterConfig, hash = "h"): LogEvent => ({ type: "ConfigApplied", data: { source: "file", hash, config: c } });
const peer = (over: Partial<BgpPeerConfig> = {}): BgpPeerConfig => ({
  name: "r", myASN: 64512, peerASN: 64500, dynamicASN: null, peerAddress: "198.18.2.1", sourceAddress: null, peerPort: 179, routerID: null,
  holdTimeMs: null, keepaliveTimeMs: null, connectTimeMs: null, password: null, ebgpMultiHop: false, nodeSelectors: [],
  enableGracefulRestart: false, dualStackAddressFamily: false, vrf: null, ...over,
});
const ad = (over: Partial<BgpAdvertisementConfig> = {}): BgpAdvertisementConfig => ({
  name: "a", aggregationLength: 32, aggregationLengthV6: 128, localPref: null, communities: [], largeCommunities: [], peers: [], nodeSelectors: [],
  ipAddressPools: [], ipAddressPoolSelectors: [], serviceSelectors: [], ...over,
});
const withBgp = (peers: BgpPeerConfig[], advertisements: BgpAdvertisementConfig[], pools = [pool("p", ["198.18.0.0/24"])]): ClusterConfig => config({ pools, bgp: { peers, advertisements } });
const sharing = { key: null, backendKey: "", ports: ["TCP/80"] };
const allocated = (ip: string, service = "ns/a"): IpAllocated => ({ type: "IpAllocated", data: { ip, service, pool: "p", reason: "auto-assign", sharing, lbClass: null, evidence: { allocator: "a1", configHash: "h", observedSeq: 0 } } });
const evidence = { previousOwner: null, previousOwnerStatus: null, previousOwnerLastHeardAt: null, silentForMs: null, observedAt: 0, heartbeatSeq: 0, eligibleNodes: 1 };
const claimed = (vip: string, term = 1): LogEvent => ({ type: "VipClaimed", data: { vip, node: "node1", incarnation: 1, term, reason: "unowned", evidence } });

function subjectOf(e: LogEvent): string {
  if (e.type === "ConfigApplied") return subjects.config(e.data.source);
  if (e.type === "IpAllocated") return subjects.ipClaim(e.data.ip, "a1");
  if (e.type === "VipClaimed") return subjects.vipClaim(e.data.vip, e.data.node);
  throw new Error(e.type);
}
const log = (...events: LogEvent[]): RawEntry[] => events.map((e, i) => ({ meta: { stream: "EVENTS", seq: i + 1, time: 1_000 + i, subject: subjectOf(e) }, data: encodeEvent(e) }));
const replay = (...events: LogEvent[]): LogState => applyLogBatch(emptyLogState(), decodeLogEntries(log(...events), ignore));

describe("a configuration from the log is held to validation's rules", () => {
  it.each<[string, ClusterConfig, RegExp]>([
    ["a pool of 0.0.0.0/0 with aggregationLength 1", withBgp([peer()], [ad({ aggregationLength: 1 })], [pool("all", ["0.0.0.0/0"])]), /IPAddressPool\/all: spec.addresses\[0\]: 0.0.0.0\/0 includes this-network addresses/],
    ["a multicast pool", config({ pools: [pool("m", ["224.0.0.0/24"])] }), /multicast addresses \(224.0.0.0\/4\)/],
    ["an IPv6 link-local pool", config({ pools: [pool("ll", ["fe80::/64"])] }), /link-local addresses \(fe80::\/10\)/],
    ["overlapping pools", config({ pools: [pool("a", ["198.18.0.0/24"]), pool("b", ["198.18.0.128/25"])] }), /IPAddressPool\/b: spec.addresses\[0\]: 198.18.0.128\/25 overlaps 198.18.0.0\/24/],
    ["a pool defined twice", config({ pools: [pool("a", ["198.18.0.0/25"]), pool("a", ["198.18.1.0/25"])] }), /IPAddressPool\/a: metadata.name: defined more than once/],
    ["an aggregation length shorter than the pool's CIDR", withBgp([peer()], [ad({ aggregationLength: 16 })]), /BGPAdvertisement\/a: spec.aggregationLength: 16 is shorter than \/24/],
    ["a peer with both peerASN and dynamicASN", withBgp([peer({ dynamicASN: "external" })], []), /BGPPeer\/r: spec.dynamicASN: peerASN and dynamicASN are mutually exclusive/],
    ["a peer with neither", withBgp([peer({ peerASN: null })], []), /BGPPeer\/r: spec.peerASN: one of peerASN or dynamicASN/],
    ["ebgpMultiHop toward an iBGP peer", withBgp([peer({ peerASN: 64512, ebgpMultiHop: true })], []), /BGPPeer\/r: spec.ebgpMultiHop: cannot be set for an iBGP peer/],
    ["a hold time of 1 s", withBgp([peer({ holdTimeMs: 1_000 })], []), /BGPPeer\/r: spec.holdTime/],
    ["a connect time in milliseconds", withBgp([peer({ connectTimeMs: 1_500 })], []), /BGPPeer\/r: spec.connectTime: must be a whole number of seconds/],
    ["an IPv6 router ID", withBgp([peer({ routerID: "2001:db8::1" })], []), /BGPPeer\/r: spec.routerID/],
    ["two peers of one name", withBgp([peer(), peer({ peerAddress: "198.18.2.2" })], []), /BGPPeer\/r: metadata.name: defined more than once/],
    ["a community out of range", withBgp([peer()], [ad({ communities: ["70000:1"] })]), /BGPAdvertisement\/a: spec.communities\[0\]: "70000:1"/],
    ["a large community out of range", withBgp([peer()], [ad({ largeCommunities: ["1:2:9999999999"] })]), /"1:2:9999999999" is not a large community/],
  ])("%s is refused, counted, and the last good configuration keeps serving", (_name, bad, why) => {
    const good = config();
    const state = replay(applied(good, "good"), applied(bad, "forged"));
    expect(state.config?.hash).toBe("good");
    expect(state.refused).toEqual({ "config-invalid": 1 });
    expect(state.lastRefusal).toMatchObject({ seq: 2, reason: "config-invalid", detail: expect.stringMatching(why) });
    expect(refusalsByReason(state)).toEqual({ "config-invalid": 1 });
  });

  it("a valid configuration is taken", () => {
    const state = replay(applied(withBgp([peer({ holdTimeMs: 9_000 })], [ad({ aggregationLength: 24, communities: ["65535:65281"] })])));
    expect(state.config?.hash).toBe("h");
    expect(refusalsByReason(state)).toEqual({});
  });

  it("every configuration the examples and the builder produce passes the projection's rules", () => {
    const dir = join(import.meta.dirname, "../../deploy/examples");
    const files = [join(dir, "l2-config.yaml"), ...readdirSync(join(dir, "metallb")).map((f) => join(dir, "metallb", f))];
    for (const set of [files.slice(0, 1), files.slice(1), files]) {
      const built = checkManifests(set.map((f) => readFileSync(f, "utf8")).join("\n---\n"));
      expect(built.config.pools.length).toBeGreaterThan(0);
      // What the projection refuses, validation already reported: a configuration it publishes is never refused.
      expect(configRuleProblems(built.config).filter((p) => !built.problems.includes(p))).toEqual([]);
    }
  });

  it("validation refuses the forged pool too (vipmesh validate, the file source and the ingest share the rule)", () => {
    const text = `kind: IPAddressPool\nmetadata: { name: all }\nspec: { addresses: ["0.0.0.0/0"] }\n`;
    expect(() => parseManifests(text)).toThrow(/0.0.0.0\/0 includes this-network addresses/);
  });
});

describe("claims are held to the allocation and ownership rules", () => {
  it("an allocation before any configuration is refused", () => {
    const state = replay(allocated("198.18.0.5"));
    expect(state.refused).toEqual({ "ip-outside-pools": 1 });
    expect(ipRecord(state.ipam, "198.18.0.5")?.holders ?? []).toEqual([]);
    expect(ipRecord(state.ipam, "198.18.0.5")?.subjectSeq).toBe(1); // the chain's sequence still moves
  });

  it("an allocation of an IP in no pool is refused; one in a pool is taken", () => {
    const state = replay(applied(config()), allocated("198.18.9.9"), allocated("198.18.0.5"));
    expect(state.lastRefusal).toMatchObject({ seq: 2, reason: "ip-outside-pools", detail: expect.stringMatching(/198.18.9.9 is in no IPAddressPool/) });
    expect(ipRecord(state.ipam, "198.18.9.9")?.holders ?? []).toEqual([]);
    expect(ipRecord(state.ipam, "198.18.0.5")?.holders.map((h) => h.service)).toEqual(["ns/a"]);
  });

  it("a Service refreshing an IP a pool edit no longer covers is not refused (the allocation stays)", () => {
    const refresh: IpAllocated = { ...allocated("198.18.0.5"), data: { ...allocated("198.18.0.5").data, reason: "sharing-updated", sharing: { key: "k", backendKey: "", ports: ["TCP/80"] } } };
    const state = replay(applied(config()), allocated("198.18.0.5"), applied(config({ pools: [pool("q", ["198.18.1.0/24"])] }), "edited"), refresh);
    expect(refusalsByReason(state)).toEqual({});
    expect(ipRecord(state.ipam, "198.18.0.5")?.holders[0]?.sharing.key).toBe("k");
  });

  it("a claim for a VIP no Service holds is refused; its chain's sequence still moves; once allocated, the claim is taken", () => {
    const state = replay(applied(config()), claimed("198.18.0.7"), allocated("198.18.0.7"), claimed("198.18.0.7"));
    expect(state.refused).toEqual({ "vip-not-allocated": 1 });
    expect(state.vips["198.18.0.7"]).toMatchObject({ owner: "node1", term: 1, subjectSeq: 4 });
    const refusedOnly = replay(applied(config()), claimed("198.18.0.8"));
    expect(refusedOnly.vips["198.18.0.8"]).toMatchObject({ owner: null, term: 0, subjectSeq: 2 });
  });

  it("the replay shows each refused event with its reason", () => {
    const { rows } = buildTimeline(decodeLogEntries(log(applied(config()), claimed("198.18.0.7"), applied(config({ pools: [pool("all", ["0.0.0.0/0"])] }))), ignore));
    const refused = rows.filter((r) => r.kind === "refused");
    expect(refused.map((r) => (r.kind === "refused" ? [r.seq, r.type, r.reason] : []))).toEqual([[2, "VipClaimed", "vip-not-allocated"], [3, "ConfigApplied", "config-invalid"]]);
    expect(formatRow(refused[1]!)).toMatch(/ConfigApplied on vipmesh.ev.config.file refused \(config-invalid\): IPAddressPool\/all: spec.addresses\[0\]: 0.0.0.0\/0 includes/);
  });
});

describe("incarnations from the future", () => {
  const leave = (incarnation: number): LogEvent => ({ type: "NodeLeft", data: { node: "node1", incarnation, reason: "drain" } });
  const at = (e: LogEvent, time: number): RawEntry[] => [{ meta: { stream: "EVENTS", seq: 1, time, subject: subjects.nodeLifecycle("node1") }, data: encodeEvent(e) }];
  const T = 1_800_000_000_000;

  it("a leave whose incarnation is far after its log time is refused (it would shut the node out until then)", () => {
    const state = applyLogBatch(emptyLogState(), decodeLogEntries(at(leave(Number.MAX_SAFE_INTEGER), T), ignore));
    expect(state.left).toEqual({});
    expect(state.lastRefusal).toMatchObject({ reason: "incarnation-in-future", detail: expect.stringMatching(/more than 60 min after the log time/) });
  });

  it("a clock up to an hour ahead of the server's is taken", () => {
    const state = applyLogBatch(emptyLogState(), decodeLogEntries(at(leave(T + 59 * 60_000), T), ignore));
    expect(state.left).toEqual({ node1: T + 59 * 60_000 });
    expect(refusalsByReason(state)).toEqual({});
  });

  it("a claim with a future incarnation is refused too", () => {
    const future: VipClaimed = { type: "VipClaimed", data: { vip: "198.18.0.7", node: "node1", incarnation: 10 * 3_600_000, term: 1, reason: "unowned", evidence } };
    const state = replay(applied(config()), allocated("198.18.0.7"), future);
    expect(state.refused).toEqual({ "incarnation-in-future": 1 });
    expect(state.vips["198.18.0.7"]?.owner).toBeNull();
  });
});

describe("refusals per reason", () => {
  it("gathers every kind: meaning, identity, IPAM's own, stale terms and undecodable messages", () => {
    const raw = log(applied(config()), allocated("198.18.0.5"), allocated("198.18.0.5", "ns/b"), claimed("198.18.0.5"), claimed("198.18.0.5"), claimed("198.18.0.9"));
    raw.push({ meta: { stream: "EVENTS", seq: raw.length + 1, time: 2_000, subject: subjects.vipClaim("198.18.0.5", "node2") }, data: encodeEvent(claimed("198.18.0.5", 2)) });
    raw.push({ meta: { stream: "EVENTS", seq: raw.length + 1, time: 2_001, subject: subjects.vipClaim("198.18.0.5", "node1") }, data: new TextEncoder().encode("{") });
    const state = applyLogBatch(emptyLogState(), decodeLogEntries(raw, ignore));
    expect(refusalsByReason(state)).toEqual({ identity: 1, invalid: 1, ipam: 1, "stale-claim": 1, "vip-not-allocated": 1 });
  });
});

describe("oversized and deeply nested messages are refused before decoding", () => {
  const meta = (subject: string): EventMeta => ({ stream: "EVENTS", seq: 1, time: 1, subject });
  const bytes = (e: DomainEvent): Uint8Array => encodeEvent(e);

  it("a claim larger than any legitimate one is refused as too-large, without parsing", () => {
    const big = { ...(claimed("198.18.0.7") as Extract<LogEvent, { type: "VipClaimed" }>) };
    const padded = bytes({ ...big, data: { ...big.data, evidence: { ...big.data.evidence, previousOwnerStatus: "x".repeat(MAX_EVENT_BYTES) } } });
    const d = decodeEvent(padded, meta(subjects.vipClaim("198.18.0.7", "node1")));
    expect(d.ok ? null : d.invalid.reason).toBe("too-large");
  });

  it("a configuration may be larger than other events, up to its own limit", () => {
    const services = Array.from({ length: 400 }, (_, i) => ({
      namespace: "default", name: `svc-${i}`, labels: { app: `a${i}` }, requestedIps: [], requestedPool: null, sharingKey: null, loadBalancerClass: null, ipFamilyPolicy: "SingleStack" as const,
      ipFamilies: [4 as const], ports: [{ port: 80, protocol: "TCP" as const }], selector: { app: `a${i}` }, externalTrafficPolicy: "Cluster" as const, statusIps: [], readyEndpointNodes: [],
    }));
    const cfg = bytes(applied(config({ services })));
    expect(cfg.length).toBeGreaterThan(MAX_EVENT_BYTES);
    expect(decodeEvent(cfg, meta(subjects.config("file"))).ok).toBe(true);
    const huge = bytes(applied(config({ services: [{ ...services[0]!, labels: { pad: "x".repeat(MAX_CONFIG_EVENT_BYTES) } }] })));
    const d = decodeEvent(huge, meta(subjects.config("file")));
    expect(d.ok ? null : d.invalid.reason).toBe("too-large");
  });

  it("a payload nested deeper than any legitimate one is refused as too-deep; brackets inside strings do not count", () => {
    const deep = new TextEncoder().encode(`{"type":"NodeLeft","v":1,"data":${"[".repeat(40)}${"]".repeat(40)}}`);
    const d = decodeEvent(deep, meta(subjects.nodeLifecycle("node1")));
    expect(d.ok ? null : d.invalid.reason).toBe("too-deep");
    const quoted = new TextEncoder().encode(JSON.stringify({ type: "NodeLeft", v: 1, data: { node: "[".repeat(100), incarnation: 1, reason: "drain" } }));
    expect(decodeEvent(quoted, meta(subjects.nodeLifecycle("["))).ok).toBe(true);
  });
});
