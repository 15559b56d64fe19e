// A BGP peer over TCP: node:net carries the bytes, the pure peer core (protocols/bgp/peer.ts) decides everything.
// The adapter feeds it inputs (start, stop, TCP events, decoded messages, decode errors, ticks at the core's next
// deadline) and performs its actions (connect, write, close). Time is the monotonic clock; jitter is Math.random.
//
// Not here yet: TCP MD5 (Node cannot set TCP_MD5SIG), TTL for ebgpMultiHop, binding to a VRF device, a listening
// (passive) side. Malformed input never throws out of the adapter: it becomes the NOTIFICATION the core sends.
import { Socket } from "node:net";
import { performance } from "node:perf_hooks";
import type { DesiredRoutes } from "../../protocols/bgp/adjRibOut.js";
import { BGP_PORT } from "../../protocols/bgp/constants.js";
import { BgpFramer } from "../../protocols/bgp/framer.js";
import { decode, encode } from "../../protocols/bgp/message.js";
import { BgpDecodeError, notificationName } from "../../protocols/bgp/notificationCodes.js";
import { initialPeer, stepPeer, type PeerConfig, type PeerInput, type PeerState } from "../../protocols/bgp/peer.js";
import { messageOptions, nextDeadline, type SessionAction } from "../../protocols/bgp/sessionTypes.js";

/** The pino-compatible subset the BGP adapter logs through. */
export interface BgpLogger {
  debug(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
}

export interface BgpTcpPeerOptions {
  readonly peerAddress: string;
  readonly peerPort?: number;
  /** BGPPeer.sourceAddress: bind the connection to this local address. */
  readonly sourceAddress?: string;
  readonly config: PeerConfig;
  readonly routes?: DesiredRoutes;
  readonly log?: BgpLogger;
  /** Session events (established, down) and every other action, for metrics and tests. */
  readonly onAction?: (action: SessionAction, state: PeerState) => void;
  readonly now?: () => number;
  readonly random?: () => number;
}

/** How long a close waits for queued bytes (a NOTIFICATION) to drain before destroying the socket. */
const CLOSE_LINGER_MS = 1000;

export class BgpTcpPeer {
  private peer: PeerState;
  private socket: Socket | undefined;
  private framer = new BgpFramer();
  private timer: NodeJS.Timeout | undefined;
  private queue: PeerInput[] = [];
  private dispatching = false;
  private closedWaiters: Array<() => void> = [];
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly opts: BgpTcpPeerOptions) {
    this.peer = initialPeer(opts.config, opts.routes ?? new Map());
    this.now = opts.now ?? (() => performance.now());
    this.random = opts.random ?? Math.random;
  }

  get state(): PeerState {
    return this.peer;
  }

  start(): void {
    this.dispatch({ type: "start" });
  }

  setRoutes(routes: DesiredRoutes): void {
    this.dispatch({ type: "setRoutes", routes });
  }

  /** Cease (Administrative Shutdown unless told otherwise) and close; resolves once the socket is gone. */
  async stop(options: { subcode?: number; message?: string } = {}): Promise<void> {
    const closed = this.socket === undefined ? Promise.resolve() : new Promise<void>((resolve) => this.closedWaiters.push(resolve));
    this.dispatch({ type: "stop", ...options });
    await closed;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private dispatch(input: PeerInput): void {
    this.queue.push(input);
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) this.step(next);
    } finally {
      this.dispatching = false;
    }
    this.armTimer();
  }

  private step(input: PeerInput): void {
    const r = stepPeer(this.peer, input, this.now(), this.random());
    this.peer = r.state;
    for (const a of r.actions) {
      this.perform(a);
      this.opts.onAction?.(a, this.peer);
    }
  }

  private perform(a: SessionAction): void {
    switch (a.type) {
      case "connect":
        this.connect();
        return;
      case "close":
        this.close();
        return;
      case "send":
        this.socket?.write(encode(a.message, messageOptions(this.peer.session)));
        return;
      case "established":
        this.opts.log?.info({ peer: this.opts.peerAddress, negotiated: a.negotiated }, "bgp: session established");
        return;
      case "down": {
        const r = a.reason;
        const detail = r.kind === "notificationSent" || r.kind === "notificationReceived" ? notificationName(r.notification.code, r.notification.subcode) : r.kind;
        this.opts.log?.warn({ peer: this.opts.peerAddress, reason: r.kind, detail, wasEstablished: a.wasEstablished }, "bgp: session down");
        return;
      }
      case "setTimer":
      case "clearTimer":
      case "routeRefreshRequested":
        return; // timers: armTimer follows the core's deadlines; refresh: the core already re-sent the routes
    }
  }

  private connect(): void {
    const socket = new Socket();
    this.socket = socket;
    this.framer = new BgpFramer();
    socket.setNoDelay(true);
    socket.on("connect", () => {
      if (this.socket === socket) this.dispatch({ type: "tcpConnected", ...(socket.localAddress === undefined ? {} : { localAddress: socket.localAddress }) });
    });
    socket.on("data", (chunk: Buffer) => {
      if (this.socket === socket) this.receive(chunk);
    });
    socket.on("error", (err) => {
      this.opts.log?.debug({ peer: this.opts.peerAddress, err: err.message }, "bgp: socket error");
    });
    socket.on("close", () => {
      if (this.socket === socket) {
        this.socket = undefined;
        this.dispatch({ type: "tcpClosed" });
      }
      this.flushClosedWaiters();
    });
    socket.connect({
      host: this.opts.peerAddress,
      port: this.opts.peerPort ?? BGP_PORT,
      ...(this.opts.sourceAddress === undefined ? {} : { localAddress: this.opts.sourceAddress }),
    });
  }

  private receive(chunk: Uint8Array): void {
    let frames: Uint8Array[];
    try {
      frames = this.framer.push(chunk);
    } catch (err) {
      if (err instanceof BgpDecodeError) return this.dispatch({ type: "decodeError", error: err });
      throw err;
    }
    for (const frame of frames) {
      if (this.socket === undefined) return;
      try {
        this.dispatch({ type: "message", message: decode(frame, 0, messageOptions(this.peer.session)).value });
      } catch (err) {
        if (!(err instanceof BgpDecodeError)) throw err;
        this.dispatch({ type: "decodeError", error: err });
      }
    }
  }

  private close(): void {
    const socket = this.socket;
    this.socket = undefined;
    if (socket === undefined) return;
    socket.end();
    const linger = setTimeout(() => socket.destroy(), CLOSE_LINGER_MS);
    socket.once("close", () => clearTimeout(linger));
  }

  private flushClosedWaiters(): void {
    if (this.socket !== undefined) return;
    for (const w of this.closedWaiters.splice(0)) w();
  }

  private armTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const at = nextDeadline(this.peer.session);
    if (at === undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.dispatch({ type: "tick" });
    }, Math.max(0, Math.ceil(at - this.now())));
  }
}
