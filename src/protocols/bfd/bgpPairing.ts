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
// - Flap dampening (when the profile asks for it, dampening.ts): each Up -> Down adds a penalty; while the penalty
//   holds the session suppressed, BFD is not trusted and the BGP session stays down whatever BFD says (Up, the peer's
//   AdminDown, a silent peer); once it decays to the reuse threshold the session is paired as a new one (BFD Up
//   connects at once, a silent peer after the bound).
import type { BfdState } from "./constants.js";
import { recordFlap, reuseAt, settle, UNDAMPED, type DampeningConfig, type DampeningState } from "./dampening.js";

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
  readonly dampening: DampeningState;
  /** Suppressed by dampening: when the penalty will have decayed to the reuse threshold. */
  readonly suppressedUntil?: number;
}

/** How the pairing is set: the bound of a wait on a silent peer, and the profile's dampening (none: off). */
export type PairingOptions = { readonly silentWaitMs?: number; readonly dampening?: DampeningConfig | undefined };

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
  const s: BfdPairingState = { bfd: "down", remoteAdminDown: false, bgp, dampening: UNDAMPED };
  return bgp === "waiting" ? { ...s, connectAnywayAt: now + silentWaitMs } : s;
}

/** When the driver must feed a `tick` if no BFD state change comes first. */
export function nextPairingDeadline(s: BfdPairingState): number | undefined {
  if (s.suppressedUntil !== undefined) return s.suppressedUntil;
  return s.bgp === "waiting" ? s.connectAnywayAt : undefined;
}

export function stepPairing(s: BfdPairingState, input: BfdPairingInput, now: number, o: PairingOptions = {}): BfdPairingStep {
  const silentWaitMs = o.silentWaitMs ?? SILENT_PEER_WAIT_MS;
  const flapped = input.type === "bfdState" && s.bfd === "up" && input.to === "down" && !input.remoteAdminDown;
  const dampened = dampen(s, flapped, now, o.dampening);
  if (dampened.suppressedUntil !== undefined) return suppressed(s, dampened, input);
  if (s.suppressedUntil !== undefined) return reused({ ...dampened, ...(input.type === "bfdState" ? bfdOf(input) : {}) }, now, silentWaitMs);
  if (input.type === "tick") {
    const due = s.bgp === "waiting" && s.connectAnywayAt !== undefined && now >= s.connectAnywayAt;
    return due ? { state: running(dampened), actions: [{ type: "startBgp", reason: "peerSilent" }] } : { state: dampened, actions: [] };
  }
  const next: BfdPairingState = { ...dampened, ...bfdOf(input) };
  if (s.bgp === "waiting" && (next.bfd === "up" || next.remoteAdminDown)) {
    return { state: running(next), actions: [{ type: "startBgp", reason: next.bfd === "up" ? "bfdUp" : "peerAdminDown" }] };
  }
  if (s.bgp === "running" && s.bfd === "up" && next.bfd !== "up" && !next.remoteAdminDown) {
    return { state: { ...next, bgp: "waiting", connectAnywayAt: now + silentWaitMs }, actions: [{ type: "stopBgp", reason: "bfdDown" }] };
  }
  if (s.bgp === "waiting") return { state: waitingAfter(next, now, silentWaitMs), actions: [] };
  return { state: next, actions: [] };
}

const bfdOf = (input: { to: BfdState; remoteAdminDown: boolean }): Pick<BfdPairingState, "bfd" | "remoteAdminDown"> => ({
  bfd: input.to,
  remoteAdminDown: input.to === "up" ? false : input.remoteAdminDown,
});

/** The dampening state at `now` (with this step's flap), and whether it suppresses the session; off: undamped. */
function dampen(s: BfdPairingState, flapped: boolean, now: number, config: DampeningConfig | undefined): BfdPairingState {
  const { suppressedUntil: _, ...rest } = s;
  if (config === undefined) return { ...rest, dampening: UNDAMPED };
  const d = flapped ? recordFlap(config, s.dampening, now) : settle(config, s.dampening, now);
  const until = reuseAt(config, d);
  return until === undefined ? { ...rest, dampening: d } : { ...rest, dampening: d, suppressedUntil: until };
}

/**
 * Suppressed: BFD is followed but not trusted, and the BGP session waits (suppression starts at a flap, so a running
 * session is one BFD just took down).
 */
function suppressed(s: BfdPairingState, d: BfdPairingState, input: BfdPairingInput): BfdPairingStep {
  const { connectAnywayAt: _, ...next } = input.type === "bfdState" ? { ...d, ...bfdOf(input) } : d;
  if (s.bgp === "running") return { state: { ...next, bgp: "waiting" }, actions: [{ type: "stopBgp", reason: "bfdDown" }] };
  return { state: next, actions: [] };
}

/** The penalty has decayed to the reuse threshold: paired as a new session, waiting as one does. */
function reused(s: BfdPairingState, now: number, silentWaitMs: number): BfdPairingStep {
  if (s.bfd === "up" || s.remoteAdminDown) return { state: running(s), actions: [{ type: "startBgp", reason: s.bfd === "up" ? "bfdUp" : "peerAdminDown" }] };
  const { connectAnywayAt: _, ...rest } = s;
  return { state: waitingAfter({ ...rest, bgp: "waiting" }, now, silentWaitMs), actions: [] };
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
