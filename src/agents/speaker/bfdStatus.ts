// Per-peer BFD state as status and metrics show it, from either backend's stats() (the native sessions, or FRR's
// `show bfd peers json` in the same shape): one accessor, so ServiceBGPStatus and the metrics never read it two ways.
import type { BfdStatusWord } from "../../events/types.js";
import type { BgpAnnouncer, BgpAnnouncerStats } from "./bgpAnnouncer.js";
import type { PeerBfdStatus } from "../../projections/kubeStatus/peerBfdStatus.js";

export type { BfdStatusWord, PeerBfdStatus };

const WORDS: Record<string, BfdStatusWord> = { up: "Up", down: "Down", init: "Init", admindown: "AdminDown", error: "Error" };

/** A BFD state as the backend says it (any case), in MetalLB's word. */
export const bfdStatusWord = (state: string): BfdStatusWord => WORDS[state.toLowerCase()] ?? "Unknown";

/** The BFD state of every peer that names a BFDProfile, by BGPPeer name. */
export function peerBfdStatuses(stats: BgpAnnouncerStats | undefined): Record<string, PeerBfdStatus> {
  const out: Record<string, PeerBfdStatus> = {};
  for (const [peer, p] of Object.entries(stats?.peers ?? {})) {
    if (p.bfd === undefined) continue;
    out[peer] = {
      status: bfdStatusWord(p.bfd.state),
      ...(p.bfd.echo === undefined ? {} : { echo: p.bfd.echo.reason }),
      ...(p.bfd.dampening?.suppressed === true ? { suppressed: true as const } : {}),
    };
  }
  return out;
}

/** The accessor: per-peer BFD state of a BGP announcer, native or FRR. */
export function bgpPeerBfdStatus(announcer: BgpAnnouncer): Record<string, PeerBfdStatus> {
  return peerBfdStatuses(announcer.stats?.());
}
