import type { BgpPlan } from "../../../projections/bgp/bgpPlan.js";
import { prefixFamily } from "../../../protocols/bgp/prefix.js";
import type { BgpPeerStats } from "../bgpAnnouncer.js";
import type { BgpPeerBfdStats } from "../bgpBfd.js";

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
export type FrrBfdPeer = {
  peer?: string; vrf?: string; multihop?: boolean; status?: string; diagnostic?: string;
  "transmit-interval"?: number; "receive-interval"?: number; "detect-multiplier"?: number;
  "remote-transmit-interval"?: number; "remote-detect-multiplier"?: number;
};

const STATES: Record<string, string> = { Idle: "idle", Connect: "connect", Active: "active", OpenSent: "openSent", OpenConfirm: "openConfirm", Established: "established" };

export function frrPeerStats(plan: BgpPlan, neighbors: FrrNeighborsJson, bfdPeers: readonly FrrBfdPeer[] = []): Record<string, BgpPeerStats> {
  const out: Record<string, BgpPeerStats> = {};
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
      address: p.peer.peerAddress,
      ...(bfd === undefined || p.bfd === undefined ? {} : { bfd: bfdStats(p.bfd.name, bfd) }),
    };
  }
  return out;
}

const BFD_STATES: Record<string, string> = { up: "Up", down: "Down", init: "Init", shutdown: "AdminDown" };
/** RFC 5880 4.1 diagnostic codes by the text FRR shows for them. */
const DIAGNOSTICS = ["ok", "control detection time expired", "echo function failed", "neighbor signaled session down", "forwarding plane reset", "path down", "concatenated path down", "administratively down", "reverse concatenated path down"];

/** FRR's BFD session in the native BFD stats' shape; FRR counts no up/down events in this output (left out, not 0). */
function bfdStats(profile: string, b: FrrBfdPeer): BgpPeerBfdStats {
  const remoteMult = b["remote-detect-multiplier"];
  const remoteTx = b["remote-transmit-interval"];
  const rx = b["receive-interval"] ?? 0;
  return {
    profile,
    state: BFD_STATES[b.status ?? ""] ?? b.status ?? "unknown",
    multihop: b.multihop === true,
    diag: Math.max(0, DIAGNOSTICS.indexOf(b.diagnostic ?? "ok")),
    transmitIntervalMs: b["transmit-interval"] ?? 0,
    receiveIntervalMs: rx,
    detectMultiplier: b["detect-multiplier"] ?? 0,
    detectTimeMs: remoteMult === undefined || remoteTx === undefined ? null : remoteMult * Math.max(rx, remoteTx),
  };
}
