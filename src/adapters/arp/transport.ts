// ARP on one interface: a packet socket that only ever sees ARP (kernel-side bind + filter), decoded with the codec.
// Malformed frames are dropped and counted by DecodeError code; nothing malformed reaches the handler.
import { setTimeout as sleep } from "node:timers/promises";
import { ETHERTYPE_ARP, decode, encode, gratuitousArp } from "../../protocols/arp/codec.js";
import type { ArpFrame, GratuitousForm } from "../../protocols/arp/codec.js";
import { DecodeError } from "../../protocols/codec/errors.js";
import { ARPHRD_ETHER, openPacketSocket } from "../packet/afpacket.js";
import type { PacketSocket, PacketSocketError } from "../packet/afpacket.js";

/** The pino-compatible subset the ARP adapters log through. */
export interface ArpLogger {
  debug(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
}

export interface ArpCounters {
  /** Frames the socket delivered (well-formed or not). */
  readonly received: number;
  /** Dropped frames by DecodeError code. */
  readonly malformed: Readonly<Record<string, number>>;
  readonly sent: number;
  readonly sendErrors: number;
  /** Socket errors reported while receiving (e.g. ENETDOWN). */
  readonly receiveErrors: number;
  /** Frames the kernel dropped because the socket buffer was full. */
  readonly kernelDrops: number;
}

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

export class ArpTransport {
  readonly ifname: string;
  readonly mac: string;
  readonly ifindex: number;
  private readonly socket: PacketSocket;
  private readonly log: ArpLogger | undefined;
  private closed = false;
  private readonly c = { received: 0, sent: 0, sendErrors: 0, receiveErrors: 0, kernelDrops: 0 };
  private readonly malformed: Record<string, number> = {};

  constructor(opts: ArpTransportOptions) {
    this.socket = (opts.openSocket ?? openArpSocket)(opts.ifname);
    this.ifname = opts.ifname;
    this.mac = this.socket.mac;
    this.ifindex = this.socket.ifindex;
    this.log = opts.log;
    try {
      this.socket.start(
        (bytes) => this.receive(bytes, opts.onFrame, opts.fastPath),
        (err) => this.receiveError(err, opts.onError),
      );
    } catch (err) {
      this.socket.close();
      throw err;
    }
  }

  /** A snapshot of the counters. */
  get counters(): ArpCounters {
    if (!this.closed) this.c.kernelDrops += this.socket.stats().drops;
    return { ...this.c, malformed: { ...this.malformed } };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends one frame now. Failures are counted in sendErrors and rethrown (PacketSocketError). */
  send(frame: ArpFrame): void {
    this.sendBytes(encode(frame));
  }

  /** Sends an already encoded frame. */
  sendBytes(bytes: Uint8Array): void {
    if (this.closed) {
      throw new ArpTransportError("ERR_ARP_TRANSPORT_CLOSED", `ARP transport on ${this.ifname} is closed`);
    }
    try {
      this.socket.send(bytes);
      this.c.sent++;
    } catch (err) {
      this.c.sendErrors++;
      throw err;
    }
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

  /** Idempotent: stops receiving and closes the socket. */
  close(): void {
    if (this.closed) return;
    this.c.kernelDrops += this.socket.stats().drops;
    this.closed = true;
    this.socket.close();
  }

  private receive(bytes: Uint8Array, onFrame: (frame: ArpFrame) => void, fastPath: ArpTransportOptions["fastPath"]): void {
    this.c.received++;
    if (fastPath?.(bytes) === true) return;
    let frame: ArpFrame;
    try {
      frame = decode(bytes).value;
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      this.malformed[err.code] = (this.malformed[err.code] ?? 0) + 1;
      this.log?.debug({ ifname: this.ifname, code: err.code, offset: err.offset }, "dropped malformed ARP frame");
      return;
    }
    onFrame(frame);
  }

  private receiveError(err: PacketSocketError, onError: ((err: PacketSocketError) => void) | undefined): void {
    this.c.receiveErrors++;
    this.log?.warn({ ifname: this.ifname, code: err.code, err: err.message }, "ARP socket receive error");
    onError?.(err);
  }
}

/** Opens the ARP transport on `opts.ifname`. Needs CAP_NET_RAW; throws PacketSocketError or ArpTransportError. */
export function openArpTransport(opts: ArpTransportOptions): ArpTransport {
  return new ArpTransport(opts);
}
