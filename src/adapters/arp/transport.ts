// ARP on one interface: a packet socket that only ever sees ARP (kernel-side bind + filter), decoded with the codec
// (packet/decodingTransport.ts: malformed frames dropped and counted by DecodeError code), plus gratuitous ARP.
import { setTimeout as sleep } from "node:timers/promises";
import { ETHERTYPE_ARP, decode, encode, gratuitousArp } from "../../protocols/arp/codec.js";
import type { ArpFrame, GratuitousForm } from "../../protocols/arp/codec.js";
import { ARPHRD_ETHER, openPacketSocket } from "../packet/afpacket.js";
import type { PacketSocket, PacketSocketError } from "../packet/afpacket.js";
import { DecodingTransport, type PacketLogger, type TransportCounters } from "../packet/decodingTransport.js";

export type ArpLogger = PacketLogger;
export type ArpCounters = TransportCounters;

export interface ArpTransportOptions {
  readonly ifname: string;
  /** Every well-formed ARP frame received on the interface (never our own sends). */
  readonly onFrame: (frame: ArpFrame) => void;
  readonly onError?: (err: PacketSocketError) => void;
  readonly log?: ArpLogger;
  /** The socket port; defaults to an AF_PACKET socket with the in-kernel ARP filter. */
  readonly openSocket?: (ifname: string) => PacketSocket;
  /**
   * Tried on the raw bytes before decoding: true when it fully handled the frame, false to pass it on to decoding
   * and `onFrame`. Keeps the common case of a request flood off the object path.
   */
  readonly fastPath?: (bytes: Uint8Array) => boolean;
}

export interface GratuitousOptions {
  /** Forms sent each round, in order; default both ("request" then "reply"). */
  readonly forms?: readonly GratuitousForm[];
  /** Pause between rounds; default 1000 ms. */
  readonly intervalMs?: number;
  readonly signal?: AbortSignal;
}

export class ArpTransportError extends Error {
  override readonly name = "ArpTransportError";

  constructor(
    readonly code: "ERR_ARP_TRANSPORT_CLOSED" | "ERR_NOT_ETHERNET",
    message: string,
  ) {
    super(message);
  }
}

function openArpSocket(ifname: string): PacketSocket {
  const socket = openPacketSocket({ ifname, ethertype: ETHERTYPE_ARP, filter: "arp" });
  if (socket.hwType !== ARPHRD_ETHER) {
    socket.close();
    throw new ArpTransportError("ERR_NOT_ETHERNET", `interface ${ifname} is not Ethernet (ARPHRD ${socket.hwType})`);
  }
  return socket;
}

export class ArpTransport extends DecodingTransport<ArpFrame> {
  constructor(opts: ArpTransportOptions) {
    super({
      protocol: "ARP",
      socket: (opts.openSocket ?? openArpSocket)(opts.ifname),
      codec: { decode, encode },
      onFrame: opts.onFrame,
      ...(opts.onError ? { onError: opts.onError } : {}),
      ...(opts.log ? { log: opts.log } : {}),
      ...(opts.fastPath ? { fastPath: opts.fastPath } : {}),
      closedError: (message) => new ArpTransportError("ERR_ARP_TRANSPORT_CLOSED", message),
    });
  }

  /**
   * Announces `vip` at this interface's MAC: `count` rounds of gratuitous ARP (each round sends every form in
   * `forms`), `intervalMs` apart. Resolves with the number of frames sent; rejects on the first send error or abort.
   */
  async sendGratuitous(vip: string, count = 1, opts: GratuitousOptions = {}): Promise<number> {
    const forms = opts.forms ?? ["request", "reply"];
    let sent = 0;
    for (let round = 0; round < count; round++) {
      if (round > 0) await sleep(opts.intervalMs ?? 1000, undefined, opts.signal ? { signal: opts.signal } : {});
      opts.signal?.throwIfAborted();
      for (const form of forms) {
        this.send(gratuitousArp(vip, this.mac, form));
        sent++;
      }
    }
    return sent;
  }
}

/** Opens the ARP transport on `opts.ifname`. Needs CAP_NET_RAW; throws PacketSocketError or ArpTransportError. */
export function openArpTransport(opts: ArpTransportOptions): ArpTransport {
  return new ArpTransport(opts);
}
