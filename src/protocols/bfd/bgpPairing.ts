// How a BGP session follows the BFD session paired with it (RFC 5882; FRR's bgpd with `bfd
// check-control-plane-failure` off). Pure: the BFD session's state changes in, what to do with the BGP session out.
//
// - BFD Up -> Down (detection time expired, or the peer said Down) takes the BGP session down at once with a Cease
//   "BFD Down" (RFC 9384); the next BGP session waits for BFD Up. The NOTIFICATION rarely arrives (the path is
//   usually what failed) but says why when only BFD did.
// - A new pairing may start `waiting` (no BGP before BFD Up) or `running`. The speaker starts it running: FRR's bgpd
//   (8.4) installs its BFD session for an iBGP neighbor only once the BGP connection exists, so waiting for BFD Up
//   first would wait forever against it (seen in the lab: `peerBfdInfo` "multi hop", status "Unknown", no bfdd peer).
// - The peer's AdminDown is not a failure (RFC 5882 3.2): the BGP session is left alone, and does not wait for BFD.
// - A BGP session already running when BFD is added keeps running: only a BFD that was Up and went Down acts.
import type { BfdState } from "./constants.js";

export type BgpGate = "waiting" | "running";

export interface BfdPairingState {
  readonly bfd: BfdState;
  /** The peer took the BFD session AdminDown: BFD says nothing about the path until it is Up again. */
  readonly remoteAdminDown: boolean;
  readonly bgp: BgpGate;
}

export type BfdPairingInput = { readonly type: "bfdState"; readonly to: BfdState; readonly remoteAdminDown: boolean };

export type BfdPairingAction = { readonly type: "startBgp" } | { readonly type: "stopBgp"; readonly reason: "bfdDown" };

export interface BfdPairingStep {
  readonly state: BfdPairingState;
  readonly actions: readonly BfdPairingAction[];
}

/** A pairing whose BGP session waits for the first BFD Up, or (`running`) acts only once BFD has been Up. */
export function initialPairing(bgp: BgpGate): BfdPairingState {
  return { bfd: "down", remoteAdminDown: false, bgp };
}

export function stepPairing(s: BfdPairingState, input: BfdPairingInput): BfdPairingStep {
  const next: BfdPairingState = { ...s, bfd: input.to, remoteAdminDown: input.to === "up" ? false : input.remoteAdminDown };
  const gateOpen = next.bfd === "up" || next.remoteAdminDown;
  if (s.bgp === "waiting" && gateOpen) return { state: { ...next, bgp: "running" }, actions: [{ type: "startBgp" }] };
  if (s.bgp === "running" && s.bfd === "up" && next.bfd !== "up" && !next.remoteAdminDown) {
    return { state: { ...next, bgp: "waiting" }, actions: [{ type: "stopBgp", reason: "bfdDown" }] };
  }
  return { state: next, actions: [] };
}
