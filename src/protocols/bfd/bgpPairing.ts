// How a BGP session follows the BFD session paired with it (RFC 5882; FRR's bgpd with `bfd
// check-control-plane-failure` off). Pure: the BFD session's state changes and the time in, what to do with the BGP
// session out.
//
// - A new BGP session waits for BFD Up, so no routes go to a router over a path BFD has not seen working.
// - The wait is bounded while the peer's BFD is silent: some routers open their BFD session only once the BGP
//   session exists. FRR's bgpd treats an iBGP neighbor that is not yet connected as multihop (PEER_IS_MULTIHOP: not
//   known to share a network), and a multihop BFD session needs a source address, which without `update-source` is
//   the BGP connection's own: bfdd has no session, sends nothing and answers nothing until BGP connects. So when
//   nothing is heard from the peer for `silentWaitMs` (a BFD session that exists answers within its 1 s slow rate),
//   BGP connects without BFD Up (`peerSilent`); the pairing acts again once BFD has been Up. A peer that is heard
//   (our session reaches Init) is waited for without a bound: its handshake completes, or BFD sees the path fail.
// - BFD Up -> Down (detection time expired, or the peer said Down) takes the BGP session down at once with a Cease
//   "BFD Down" (RFC 9384), and the next BGP session waits as a new one does.
// - The peer's AdminDown is not a failure (RFC 5882 3.2): the BGP session is left alone, and does not wait for BFD.
// - A BGP session already running when BFD is added keeps running: only a BFD that was Up and went Down acts.
import type { BfdState } from "./constants.js";

export type BgpGate = "waiting" | "running";

/** Three times the slow rate (1 s) at which a BFD session that is not Up sends (RFC 5880 6.8.3). */
export const SILENT_PEER_WAIT_MS = 3_000;

export interface BfdPairingState {
  readonly bfd: BfdState;
  /** The peer took the BFD session AdminDown: BFD says nothing about the path until it is Up again. */
  readonly remoteAdminDown: boolean;
  readonly bgp: BgpGate;
  /** Waiting with nothing heard from the peer's BFD: when BGP connects without BFD Up. */
  readonly connectAnywayAt?: number;
}

export type BfdPairingInput =
  | { readonly type: "bfdState"; readonly to: BfdState; readonly remoteAdminDown: boolean }
  /** Time passed: fires the bound of a wait. */
  | { readonly type: "tick" };

export type StartReason = "bfdUp" | "peerAdminDown" | "peerSilent";

export type BfdPairingAction = { readonly type: "startBgp"; readonly reason: StartReason } | { readonly type: "stopBgp"; readonly reason: "bfdDown" };

export interface BfdPairingStep {
  readonly state: BfdPairingState;
  readonly actions: readonly BfdPairingAction[];
}

/** A pairing whose BGP session waits for BFD Up (bounded while the peer is silent), or (`running`) already runs. */
export function initialPairing(bgp: BgpGate, now: number, silentWaitMs = SILENT_PEER_WAIT_MS): BfdPairingState {
  const s: BfdPairingState = { bfd: "down", remoteAdminDown: false, bgp };
  return bgp === "waiting" ? { ...s, connectAnywayAt: now + silentWaitMs } : s;
}

/** When the driver must feed a `tick` if no BFD state change comes first. */
export function nextPairingDeadline(s: BfdPairingState): number | undefined {
  return s.bgp === "waiting" ? s.connectAnywayAt : undefined;
}

export function stepPairing(s: BfdPairingState, input: BfdPairingInput, now: number, silentWaitMs = SILENT_PEER_WAIT_MS): BfdPairingStep {
  if (input.type === "tick") {
    const due = s.bgp === "waiting" && s.connectAnywayAt !== undefined && now >= s.connectAnywayAt;
    return due ? { state: running(s), actions: [{ type: "startBgp", reason: "peerSilent" }] } : { state: s, actions: [] };
  }
  const next: BfdPairingState = { ...s, bfd: input.to, remoteAdminDown: input.to === "up" ? false : input.remoteAdminDown };
  if (s.bgp === "waiting" && (next.bfd === "up" || next.remoteAdminDown)) {
    return { state: running(next), actions: [{ type: "startBgp", reason: next.bfd === "up" ? "bfdUp" : "peerAdminDown" }] };
  }
  if (s.bgp === "running" && s.bfd === "up" && next.bfd !== "up" && !next.remoteAdminDown) {
    return { state: { ...next, bgp: "waiting", connectAnywayAt: now + silentWaitMs }, actions: [{ type: "stopBgp", reason: "bfdDown" }] };
  }
  if (s.bgp === "waiting") return { state: waitingAfter(next, now, silentWaitMs), actions: [] };
  return { state: next, actions: [] };
}

function running(s: BfdPairingState): BfdPairingState {
  const { connectAnywayAt: _, ...rest } = s;
  return { ...rest, bgp: "running" };
}

/** Heard (Init): no bound. Silent again (back to Down): the bound starts over. */
function waitingAfter(s: BfdPairingState, now: number, silentWaitMs: number): BfdPairingState {
  if (s.bfd === "init") {
    const { connectAnywayAt: _, ...rest } = s;
    return rest;
  }
  return s.connectAnywayAt === undefined ? { ...s, connectAnywayAt: now + silentWaitMs } : s;
}
