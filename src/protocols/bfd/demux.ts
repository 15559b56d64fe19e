// Which session a received control packet belongs to (RFC 5880 6.8.6, RFC 5881 3, RFC 5883 4): by Your
// Discriminator when it is set, else by where the packet came from (the codec has already refused a zero Your
// Discriminator outside Down/AdminDown). A packet that matches no session is dropped with a reason.
import type { BfdControlPacket } from "./controlPacket.js";

export type BfdDemuxDrop = "unknownDiscriminator" | "noSessionForPeer" | "discriminatorOfAnotherPeer";

export interface BfdPacketSource {
  /** Canonical source address of the datagram. */
  readonly address: string;
  /** Arrived on the multihop port (4784) rather than the single-hop one (3784). */
  readonly multihop: boolean;
}

export interface BfdSessionIndex<T> {
  byDiscriminator(localDiscriminator: number): { readonly session: T; readonly peer: string; readonly multihop: boolean } | undefined;
  byPeer(address: string, multihop: boolean): T | undefined;
}

export function demultiplex<T>(p: BfdControlPacket, from: BfdPacketSource, index: BfdSessionIndex<T>): { session: T } | { drop: BfdDemuxDrop } {
  if (p.yourDiscriminator !== 0) {
    const found = index.byDiscriminator(p.yourDiscriminator);
    if (found === undefined) return { drop: "unknownDiscriminator" };
    // A discriminator names one session, which has one peer and one kind: a packet from elsewhere is not its.
    if (found.peer !== from.address || found.multihop !== from.multihop) return { drop: "discriminatorOfAnotherPeer" };
    return { session: found.session };
  }
  const session = index.byPeer(from.address, from.multihop);
  return session === undefined ? { drop: "noSessionForPeer" } : { session };
}
