// A packet socket paired with a codec: frames in are decoded (malformed ones dropped and counted by DecodeError
// code, so nothing malformed reaches the handler), frames out are encoded. Protocol transports (ARP, NDP) build on it.
import { DecodeError } from "../../protocols/codec/errors.js";
import type { PacketSocket, PacketSocketError } from "./afpacket.js";

/** The pino-compatible subset packet adapters log through. */
export interface PacketLogger {
  debug(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
}

export interface FrameCodec<F> {
  decode(bytes: Uint8Array): { value: F };
  encode(frame: F): Uint8Array;
}

export interface TransportCounters {
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

export class TransportClosedError extends Error {
  override readonly name = "TransportClosedError";
  readonly code = "ERR_TRANSPORT_CLOSED";
}

export interface DecodingTransportOptions<F> {
  /** Protocol name for logs ("NDP"). */
  readonly protocol: string;
  readonly socket: PacketSocket;
  readonly codec: FrameCodec<F>;
  readonly onFrame: (frame: F) => void;
  readonly onError?: (err: PacketSocketError) => void;
  readonly log?: PacketLogger;
  /**
   * Tried on the raw bytes before decoding: true when it fully handled the frame, false to pass it on to decoding
   * and `onFrame`. Keeps the common case of a request flood off the object path.
   */
  readonly fastPath?: (bytes: Uint8Array) => boolean;
  /** The error a send on a closed transport throws; default TransportClosedError. */
  readonly closedError?: (message: string) => Error;
}

export class DecodingTransport<F> {
  readonly ifname: string;
  readonly mac: string;
  readonly ifindex: number;
  private readonly socket: PacketSocket;
  private readonly codec: FrameCodec<F>;
  private readonly protocol: string;
  private readonly log: PacketLogger | undefined;
  private readonly closedError: (message: string) => Error;
  private closed = false;
  private readonly c = { received: 0, sent: 0, sendErrors: 0, receiveErrors: 0, kernelDrops: 0 };
  private readonly malformed: Record<string, number> = {};

  /** Takes ownership of `opts.socket` (closes it if starting fails) and starts receiving. */
  constructor(opts: DecodingTransportOptions<F>) {
    this.socket = opts.socket;
    this.codec = opts.codec;
    this.protocol = opts.protocol;
    this.ifname = opts.socket.ifname;
    this.mac = opts.socket.mac;
    this.ifindex = opts.socket.ifindex;
    this.log = opts.log;
    this.closedError = opts.closedError ?? ((message) => new TransportClosedError(message));
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
  get counters(): TransportCounters {
    if (!this.closed) this.c.kernelDrops += this.socket.stats().drops;
    return { ...this.c, malformed: { ...this.malformed } };
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Sends one frame now. Failures are counted in sendErrors and rethrown (PacketSocketError, EncodeError). */
  send(frame: F): void {
    this.sendBytes(this.codec.encode(frame));
  }

  /** Sends an already encoded frame. */
  sendBytes(bytes: Uint8Array): void {
    if (this.closed) throw this.closedError(`${this.protocol} transport on ${this.ifname} is closed`);
    try {
      this.socket.send(bytes);
      this.c.sent++;
    } catch (err) {
      this.c.sendErrors++;
      throw err;
    }
  }

  /** Idempotent: stops receiving and closes the socket. */
  close(): void {
    if (this.closed) return;
    this.c.kernelDrops += this.socket.stats().drops;
    this.closed = true;
    this.socket.close();
  }

  private receive(bytes: Uint8Array, onFrame: (frame: F) => void, fastPath: ((bytes: Uint8Array) => boolean) | undefined): void {
    this.c.received++;
    if (fastPath?.(bytes) === true) return;
    let frame: F;
    try {
      frame = this.codec.decode(bytes).value;
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      this.malformed[err.code] = (this.malformed[err.code] ?? 0) + 1;
      this.log?.debug(
        { ifname: this.ifname, code: err.code, offset: err.offset },
        `dropped malformed ${this.protocol} frame`,
      );
      return;
    }
    onFrame(frame);
  }

  private receiveError(err: PacketSocketError, onError: ((err: PacketSocketError) => void) | undefined): void {
    this.c.receiveErrors++;
    this.log?.warn({ ifname: this.ifname, code: err.code, err: err.message }, `${this.protocol} socket receive error`);
    onError?.(err);
  }
}
