// NDP on one interface: a packet socket bound to IPv6 (ethertype 0x86dd) with the addon's in-kernel "ndp" filter,
// so only Neighbor Solicitations and Advertisements ever reach JS, decoded and validated by the codec.
//
// Advertisements go out through the same packet socket, built and checksummed by our codec, rather than through a
// raw ICMPv6 socket (raw-socket): the source address of an answer must be the VIP, which is configured on no
// interface, and a raw IPv6 socket can neither bind to it nor set it per packet through raw-socket (no bind(), no
// IPV6_PKTINFO); nor could it pick the destination MAC, hop limit and interface without a route and a neighbour
// entry. A packet socket sends exactly the frame we encode, with hop limit 255, from the interface MAC.
import { setTimeout as sleep } from "node:timers/promises";
import { ETHERTYPE_IPV6, decode, encode } from "../../protocols/ndp/codec.js";
import type { NdpFrame } from "../../protocols/ndp/codec.js";
import { unsolicitedAdvertisement } from "../../protocols/ndp/messages.js";
import { ARPHRD_ETHER, openPacketSocket } from "../packet/afpacket.js";
import type { PacketSocket, PacketSocketError } from "../packet/afpacket.js";
import { DecodingTransport } from "../packet/decodingTransport.js";
import type { PacketLogger } from "../packet/decodingTransport.js";

export type NdpTransport = DecodingTransport<NdpFrame>;

export interface NdpTransportOptions {
  readonly ifname: string;
  /** Every valid Neighbor Solicitation or Advertisement received on the interface (never our own sends). */
  readonly onFrame: (frame: NdpFrame) => void;
  readonly onError?: (err: PacketSocketError) => void;
  readonly log?: PacketLogger;
  /** The socket port; defaults to an AF_PACKET socket with the in-kernel NDP filter. */
  readonly openSocket?: (ifname: string) => PacketSocket;
}

export class NdpTransportError extends Error {
  override readonly name = "NdpTransportError";
  readonly code = "ERR_NOT_ETHERNET";
}

function openNdpSocket(ifname: string): PacketSocket {
  const socket = openPacketSocket({ ifname, ethertype: ETHERTYPE_IPV6, filter: "ndp" });
  if (socket.hwType !== ARPHRD_ETHER) {
    socket.close();
    throw new NdpTransportError(`interface ${ifname} is not Ethernet (ARPHRD ${socket.hwType})`);
  }
  return socket;
}

/** Opens the NDP transport on `opts.ifname`. Needs CAP_NET_RAW; throws PacketSocketError or NdpTransportError. */
export function openNdpTransport(opts: NdpTransportOptions): NdpTransport {
  return new DecodingTransport<NdpFrame>({
    protocol: "NDP",
    socket: (opts.openSocket ?? openNdpSocket)(opts.ifname),
    codec: { decode, encode },
    onFrame: opts.onFrame,
    ...(opts.onError ? { onError: opts.onError } : {}),
    ...(opts.log ? { log: opts.log } : {}),
  });
}

export interface UnsolicitedOptions {
  /** Pause between advertisements; default 1000 ms. */
  readonly intervalMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * Announces `vip` (canonical IPv6) at the transport's MAC: `count` unsolicited advertisements, `intervalMs` apart.
 * Resolves with the number sent; rejects on the first send error or abort.
 */
export async function sendUnsolicited(
  t: NdpTransport,
  vip: string,
  count = 1,
  opts: UnsolicitedOptions = {},
): Promise<number> {
  for (let i = 0; i < count; i++) {
    if (i > 0) await sleep(opts.intervalMs ?? 1000, undefined, opts.signal ? { signal: opts.signal } : {});
    opts.signal?.throwIfAborted();
    t.send(unsolicitedAdvertisement(vip, t.mac));
  }
  return count;
}
