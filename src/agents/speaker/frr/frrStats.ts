import type { BgpPlan } from "../../../projections/bgp/bgpPlan.js";
import { prefixFamily } from "../../../protocols/bgp/prefix.js";
import type { BgpPeerStats } from "../bgpAnnouncer.js";

// FRR's view of each session (`show bgp vrf all neighbors json`, `show bfd peers json`) in the shape the native
// announcer's stats() has, keyed by BGPPeer name. FRR does not count RFC 7606 cases per kind: updateErrors stays
// empty and prefixesIgnored 0 (it accepts no routes from the peer anyway: the inbound route-map denies all).

type FrrNeighbor = {
  bgpState?: string;
  connectionsEstablished?: number;
  messageStats?: { updatesSent?: number };
  addressFamilyInfo?: Record<string, { sentPrefixCounter?: number }>;
};
/** VRF name -> { vrfName, vrfId, <peer address>: neighbor }. */
export type FrrNeighborsJson = Record<string, Record<string, unknown>>;
export type FrrBfdPeer = { peer?: string; vrf?: string; status?: string; diagnostic?: string; "transmit-interval"?: number; "receive-interval"?: number; "detect-multiplier"?: number; "remote-detect-multiplier"?: number };

export type FrrBgpPeerStats = BgpPeerStats & { bfd?: { state: string; diagnostic: string; transmitIntervalMs: number; receiveIntervalMs: number; detectMultiplier: number } };

const STATES: Record<string, string> = { Idle: "idle", Connect: "connect", Active: "active", OpenSent: "openSent", OpenConfirm: "openConfirm", Established: "established" };

export function frrPeerStats(plan: BgpPlan, neighbors: FrrNeighborsJson, bfdPeers: readonly FrrBfdPeer[] = []): Record<string, FrrBgpPeerStats> {
  const out: Record<string, FrrBgpPeerStats> = {};
  for (const [name, p] of plan) {
    const vrf = neighbors[p.peer.vrf ?? "default"] ?? {};
    const n = (vrf[p.peer.peerAddress] ?? {}) as FrrNeighbor;
    const sent = Object.values(n.addressFamilyInfo ?? {}).reduce((sum, af) => sum + (af.sentPrefixCounter ?? 0), 0);
    const o = p.otherFamily;
    const held = o !== undefined && "problem" in o ? [...p.routes.keys()].filter((prefix) => prefixFamily(prefix) === o.family).length : 0;
    const bfd = bfdPeers.find((b) => b.peer === p.peer.peerAddress && (b.vrf ?? "default") === (p.peer.vrf ?? "default"));
    out[name] = {
      state: STATES[n.bgpState ?? "Idle"] ?? (n.bgpState ?? "idle").toLowerCase(),
      established: n.connectionsEstablished ?? 0,
      updatesSent: n.messageStats?.updatesSent ?? 0,
      prefixesSent: sent,
      unsendable: held,
      ...(held > 0 && o !== undefined && "problem" in o ? { unsendableReason: o.problem } : {}),
      updateErrors: {},
      prefixesIgnored: 0,
      ...(bfd === undefined ? {} : { bfd: bfdStats(bfd) }),
    };
  }
  return out;
}

function bfdStats(b: FrrBfdPeer): NonNullable<FrrBgpPeerStats["bfd"]> {
  return {
    state: b.status ?? "unknown",
    diagnostic: b.diagnostic ?? "",
    transmitIntervalMs: b["transmit-interval"] ?? 0,
    receiveIntervalMs: b["receive-interval"] ?? 0,
    detectMultiplier: b["remote-detect-multiplier"] ?? b["detect-multiplier"] ?? 0,
  };
}
