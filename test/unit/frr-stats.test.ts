import { describe, expect, it } from "vitest";
import { sessionReports } from "../../src/agents/speaker/bgpSessionReport.js";
import { frrPeerStats, type FrrNeighborsJson } from "../../src/agents/speaker/frr/frrStats.js";
import type { BgpPlan } from "../../src/projections/bgp/bgpPlan.js";
import { peer } from "../support/bgpFixtures.js";

// FRR's `show bgp vrf all neighbors json` and `show bfd peers json` (trimmed from FRR 8.4 output) as the announcer's
// stats(), in the native backend's shape.

const neighbors: FrrNeighborsJson = {
  default: {
    vrfId: 0,
    vrfName: "default",
    "198.18.0.1": {
      remoteAs: 64512, localAs: 64512, bgpState: "Established", connectionsEstablished: 2, connectionsDropped: 1,
      messageStats: { opensSent: 2, updatesSent: 7, updatesRecv: 1 },
      addressFamilyInfo: { ipv4Unicast: { acceptedPrefixCounter: 0, sentPrefixCounter: 2 }, ipv6Unicast: { acceptedPrefixCounter: 0, sentPrefixCounter: 1 } },
    },
    "2001:db8:0:1::1": { remoteAs: 64512, bgpState: "Active", connectionsEstablished: 0, messageStats: { updatesSent: 0 } },
  },
};

const plan: BgpPlan = new Map([
  ["router", { peer: peer("router", { peerAddress: "198.18.0.1", dualStackAddressFamily: true }), routes: new Map([["198.18.100.10/32", {}], ["2001:db8:100::10/128", {}]]), otherFamily: { family: 6, problem: "node node1 has no global IPv6 address" }, bfd: { name: "lab", echoMode: false, passiveMode: false } }],
  ["router6", { peer: peer("router6", { peerAddress: "2001:db8:0:1::1" }), routes: new Map() }],
  ["gone", { peer: peer("gone", { peerAddress: "198.18.0.9" }), routes: new Map() }],
]);

describe("frrPeerStats", () => {
  it("maps FRR's session state and counters per BGPPeer", () => {
    const bfdPeers = [{ peer: "198.18.0.1", multihop: false, status: "up", diagnostic: "control detection time expired", "transmit-interval": 300, "receive-interval": 300, "detect-multiplier": 3, "remote-transmit-interval": 100, "remote-detect-multiplier": 5 }];
    const s = frrPeerStats(plan, neighbors, bfdPeers);
    expect(s["router"]).toEqual({
      state: "established", established: 2, updatesSent: 7, prefixesSent: 3, unsendable: 1, unsendableReason: "node node1 has no global IPv6 address",
      updateErrors: {}, prefixesIgnored: 0, address: "198.18.0.1",
      bfd: { profile: "lab", state: "Up", multihop: false, diag: 1, transmitIntervalMs: 300, receiveIntervalMs: 300, detectMultiplier: 3, detectTimeMs: 1_500 },
    });
    expect(s["router6"]?.state).toBe("active");
    expect(s["router6"]?.bfd).toBeUndefined();
  });

  it("is what an FRR-mode speaker puts on the log (BgpSessionsChanged), in the native backend's words", () => {
    const bfdPeers = [{ peer: "198.18.0.1", status: "up" }];
    expect(sessionReports(plan, { peers: frrPeerStats(plan, neighbors, bfdPeers) }, [], 1_000)).toEqual([
      { peer: "gone", address: "198.18.0.9", peerASN: 64500, state: "idle", since: 1_000, prefixesSent: 0 },
      { peer: "router", address: "198.18.0.1", peerASN: 64500, state: "established", since: 1_000, prefixesSent: 3, bfd: { profile: "lab", status: "Up" } },
      { peer: "router6", address: "2001:db8:0:1::1", peerASN: 64500, state: "active", since: 1_000, prefixesSent: 0 },
    ]);
  });

  it("a peer FRR does not list yet is idle", () => {
    expect(frrPeerStats(plan, neighbors)["gone"]).toMatchObject({ state: "idle", established: 0, prefixesSent: 0 });
  });
});
