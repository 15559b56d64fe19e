import { describe, expect, it } from "vitest";
import { peerBfdStatuses } from "../../src/agents/speaker/bfdStatus.js";
import type { BgpAnnouncerStats, BgpPeerStats } from "../../src/agents/speaker/bgpAnnouncer.js";
import type { BgpPeerBfdStats } from "../../src/agents/speaker/bgpBfd.js";
import { frrPeerStats } from "../../src/agents/speaker/frr/frrStats.js";
import { peer } from "../support/bgpFixtures.js";

// Per-peer BFD state as ServiceBGPStatus and the metrics show it, from either backend's stats().

const bgp = (bfd?: BgpPeerBfdStats): BgpPeerStats => ({ state: "established", established: 1, updatesSent: 1, prefixesSent: 1, unsendable: 0, updateErrors: {}, prefixesIgnored: 0, ...(bfd ? { bfd } : {}) });
const native = (state: string, echo?: BgpPeerBfdStats["echo"]): BgpPeerBfdStats => ({ state, transmitIntervalMs: 300, receiveIntervalMs: 300, detectMultiplier: 3, ...(echo ? { echo } : {}) });

describe("peerBfdStatuses", () => {
  it("native sessions: MetalLB's words, the echo verdict, nothing for peers without a BFDProfile", () => {
    const stats: BgpAnnouncerStats = {
      peers: {
        a: bgp(native("up")),
        b: bgp(native("down", { reason: "notSupported", detail: "control packets only" })),
        c: bgp(native("adminDown")),
        d: bgp(native("error")),
        e: bgp(native("init")),
        plain: bgp(),
      },
    };
    expect(peerBfdStatuses(stats)).toEqual({
      a: { status: "Up" }, b: { status: "Down", echo: "notSupported" }, c: { status: "AdminDown" }, d: { status: "Error" }, e: { status: "Init" },
    });
    expect(peerBfdStatuses(undefined)).toEqual({});
  });

  it("a session dampening suppresses says so (Up, yet not trusted); one merely carrying a penalty does not", () => {
    const damped = (suppressed: boolean): BgpPeerBfdStats => ({ ...native("up"), dampening: { penalty: 1800, suppressed, ...(suppressed ? { reuseInMs: 4000 } : {}) } });
    expect(peerBfdStatuses({ peers: { a: bgp(damped(true)), b: bgp(damped(false)) } })).toEqual({ a: { status: "Up", suppressed: true }, b: { status: "Up" } });
  });

  it("FRR mode: bfdd's `show bfd peers json` through frrPeerStats", () => {
    const plan = new Map([["router", { peer: peer("router", { peerAddress: "198.18.0.1" }), routes: new Map(), bfd: { name: "lab", echoMode: false, passiveMode: false } }]]);
    const neighbors = { default: { vrfId: 0, vrfName: "default", "198.18.0.1": { remoteAs: 64512, bgpState: "Established", connectionsEstablished: 1, messageStats: { updatesSent: 1 } } } };
    const stats = (status: string): BgpAnnouncerStats => ({ peers: frrPeerStats(plan, neighbors, [{ peer: "198.18.0.1", multihop: false, status, diagnostic: "ok" }]) });
    expect(peerBfdStatuses(stats("up"))).toEqual({ router: { status: "Up" } });
    expect(peerBfdStatuses(stats("down"))).toEqual({ router: { status: "Down" } });
    expect(peerBfdStatuses(stats("shutdown"))).toEqual({ router: { status: "AdminDown" } });
  });
});
