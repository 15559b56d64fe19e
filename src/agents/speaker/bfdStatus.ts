// Per-peer BFD state as status and metrics show it, from either backend's stats() (the native sessions, or FRR's
// `show bfd peers json` in the same shape): one accessor, so ServiceBGPStatus and the metrics never read it two ways.
import type { BgpAnnouncer, BgpAnnouncerStats } from "./bgpAnnouncer.js";

/** MetalLB's words for BFD states (its BGPSessionState's bfdStatus); "Error" when the session could not be opened. */
export type BfdStatusWord = "Up" | "Down" | "Init" | "AdminDown" | "Error" | "Unknown";

export type PeerBfdStatus = {
  status: BfdStatusWord;
  /** The profile asks for echo mode and the session does not run it: why ("notSupported", or "multihop"). */
  echo?: string;
};

const WORDS: Record<string, BfdStatusWord> = { up: "Up", down: "Down", init: "Init", admindown: "AdminDown", error: "Error" };

/** The BFD state of every peer that names a BFDProfile, by BGPPeer name. */
export function peerBfdStatuses(stats: BgpAnnouncerStats | undefined): Record<string, PeerBfdStatus> {
  const out: Record<string, PeerBfdStatus> = {};
  for (const [peer, p] of Object.entries(stats?.peers ?? {})) {
    if (p.bfd === undefined) continue;
    out[peer] = { status: WORDS[p.bfd.state.toLowerCase()] ?? "Unknown", ...(p.bfd.echo === undefined ? {} : { echo: p.bfd.echo.reason }) };
  }
  return out;
}

/** The accessor: per-peer BFD state of a BGP announcer, native or FRR. */
export function bgpPeerBfdStatus(announcer: BgpAnnouncer): Record<string, PeerBfdStatus> {
  return peerBfdStatuses(announcer.stats?.());
}
