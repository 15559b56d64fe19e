// A BGP peer over TCP: node:net carries the bytes, the pure peer core (protocols/bgp/peer.ts) decides everything.
// The adapter feeds it inputs (start, stop, TCP events, decoded messages, decode errors, ticks at the core's next
// deadline) and performs its actions (connect, write, close). Time is the monotonic clock; jitter is Math.random.
//
// TCP MD5, TTL for ebgpMultiHop and binding to a VRF device go through the native addon (nativeSocket.ts) when
// `socketOptions` asks for them. Not here yet: a listening (passive) side. Malformed input never throws out of the
// adapter: it becomes the NOTIFICATION the core sends, or (RFC 7606) a counted error logged once per kind per session.
import { Socket } from "node:net";
import { connectNative, type PendingConnect } from "./nativeSocket.js";
import { performance } from "node:perf_hooks";
import type { DesiredRoutes } from "../../protocols/bgp/adjRibOut.js";
import { BGP_PORT } from "../../protocols/bgp/constants.js";
import { BgpFramer } from "../../protocols/bgp/framer.js";
import { decode, encode } from "../../protocols/bgp/message.js";
import { shutdownMessage } from "../../protocols/bgp/notification.js";
import { BgpDecodeError, notificationName } from "../../protocols/bgp/notificationCodes.js";
import { initialPeer, stepPeer, type NextHops, type PeerConfig, type PeerInput, type PeerState } from "../../protocols/bgp/peer.js";
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
  /** Options set before the SYN through the native addon: TCP MD5 key, IP TTL, VRF device. */
  readonly socketOptions?: { readonly password: string | null; readonly ttl: number | null; readonly vrf: string | null };
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
  private pending: PendingConnect | undefined;
  private abandoned = false;
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

  /** New desired routes; `nextHops` (when given) replace the configured ones. */
  setRoutes(routes: DesiredRoutes, nextHops?: NextHops): void {
    this.dispatch({ type: "setRoutes", routes, ...(nextHops === undefined ? {} : { nextHops }) });
  }

  /** Cease (Administrative Shutdown unless told otherwise) and close; resolves once the socket is gone. */
  async stop(options: { subcode?: number; message?: string } = {}): Promise<void> {
    const closed = this.socket === undefined ? Promise.resolve() : new Promise<void>((resolve) => this.closedWaiters.push(resolve));
    this.dispatch({ type: "stop", ...options });
    await closed;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Restart in place: drop the connection without a NOTIFICATION and go quiet, so a graceful-restart helper keeps our
   * routes (stale) until the next process sends its End-of-RIB. Nothing runs after it.
   */
  abandon(): Promise<void> {
    this.abandoned = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending?.cancel();
    this.pending = undefined;
    const socket = this.socket;
    this.socket = undefined;
    if (socket === undefined) return Promise.resolve();
    return new Promise<void>((resolve) => {
      socket.once("close", () => resolve());
      socket.destroy();
    });
  }

  private dispatch(input: PeerInput): void {
    if (this.abandoned) return;
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
        const notified = r.kind === "notificationSent" || r.kind === "notificationReceived" ? r.notification : undefined;
        const detail = notified ? notificationName(notified.code, notified.subcode) : r.kind;
        const message = notified && shutdownMessage(notified); // RFC 9003 shutdown communication, either way
        this.opts.log?.warn({ peer: this.opts.peerAddress, reason: r.kind, detail, ...(message === undefined ? {} : { message }), wasEstablished: a.wasEstablished }, "bgp: session down");
        return;
      }
      case "updateError": {
        // Once per kind per session (the core reports only the first); the counts are in state.session.counters.
        const e = a.error;
        this.opts.log?.warn(
          { peer: this.opts.peerAddress, kind: e.kind, handling: e.handling, detail: e.detail, ...(e.afi === undefined ? {} : { afi: e.afi, safi: e.safi }) },
          "bgp: malformed UPDATE handled without a session reset (RFC 7606); further ones of this kind are only counted",
        );
        return;
      }
      case "setTimer":
      case "clearTimer":
      case "routeRefreshRequested":
        return; // timers: armTimer follows the core's deadlines; refresh: the core already re-sent the routes
    }
  }

  private connect(): void {
    if (this.opts.socketOptions) return this.connectNative(this.opts.socketOptions);
    const socket = new Socket();
    this.attach(socket);
    socket.on("connect", () => {
      if (this.socket === socket) this.connected(socket);
    });
    socket.connect({
      host: this.opts.peerAddress,
      port: this.opts.peerPort ?? BGP_PORT,
      ...(this.opts.sourceAddress === undefined ? {} : { localAddress: this.opts.sourceAddress }),
    });
  }

  private connectNative(o: NonNullable<BgpTcpPeerOptions["socketOptions"]>): void {
    this.pending?.cancel();
    const pending = connectNative(
      { ...o, peerAddress: this.opts.peerAddress, peerPort: this.opts.peerPort ?? BGP_PORT, ...(this.opts.sourceAddress === undefined ? {} : { sourceAddress: this.opts.sourceAddress }) },
      (socket) => {
        if (this.pending !== pending) return void socket.destroy();
        this.pending = undefined;
        this.attach(socket);
        this.connected(socket);
      },
      (err) => {
        if (this.pending !== pending) return;
        this.pending = undefined;
        this.opts.log?.debug({ peer: this.opts.peerAddress, err: err.message }, "bgp: connect failed");
        this.dispatch({ type: "tcpClosed" });
      },
    );
    this.pending = pending;
  }

  private connected(socket: Socket): void {
    this.dispatch({ type: "tcpConnected", ...(socket.localAddress === undefined ? {} : { localAddress: socket.localAddress }) });
  }

  private attach(socket: Socket): void {
    this.socket = socket;
    this.framer = new BgpFramer();
    socket.setNoDelay(true);
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
    this.pending?.cancel();
    this.pending = undefined;
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
