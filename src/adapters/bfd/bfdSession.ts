// One BFD session over UDP: the pure FSM (protocols/bfd/session.ts) decides, this driver sends its packets from the
// session's own source port (RFC 5881 4: one port in 49152-65535 for all its packets, TTL 255), feeds it the packets
// the endpoint demultiplexed (with the time they were read) and wakes it at its next deadline: one timer.
import type { Socket } from "node:dgram";
import { encode } from "../../protocols/bfd/controlPacket.js";
import type { EchoVerdict } from "../../protocols/bfd/echo.js";
import type { BfdControlPacket } from "../../protocols/bfd/controlPacket.js";
import { initialBfdSession, stepBfd } from "../../protocols/bfd/session.js";
import { nextBfdDeadline, type BfdSessionAction, type BfdSessionInput, type BfdSessionState, type BfdTimerConfig } from "../../protocols/bfd/sessionTypes.js";

/** The pino-compatible subset BFD logs through. */
export interface BfdLogger {
  debug(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
}

export interface BfdSessionDriverOptions {
  readonly peerAddress: string;
  readonly peerPort: number;
  readonly localDiscriminator: number;
  readonly timers: BfdTimerConfig;
  /** Whether the echo function runs, and why not (for status). */
  readonly echo: EchoVerdict;
  /** Bound to the session's source port, TTL 255. The session closes it. */
  readonly socket: Socket;
  readonly now: () => number;
  readonly random: () => number;
  readonly log?: BfdLogger;
  readonly onAction?: (action: BfdSessionAction, state: BfdSessionState) => void;
}

export class BfdSessionDriver {
  private session: BfdSessionState;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  sendErrors = 0;

  constructor(private readonly o: BfdSessionDriverOptions) {
    this.session = initialBfdSession({ ...o.timers, localDiscriminator: o.localDiscriminator });
    o.socket.on("error", (err) => o.log?.warn({ peer: o.peerAddress, err: err.message }, "bfd: socket error"));
  }

  get state(): BfdSessionState {
    return this.session;
  }

  get echo(): EchoVerdict {
    return this.o.echo;
  }

  /** The UDP source port of all this session's packets. */
  get sourcePort(): number {
    return this.o.socket.address().port;
  }

  start(): void {
    this.dispatch({ type: "start" }, this.o.now());
  }

  /** AdminDown (diag 7): the peer is told for a detection time, then the session is silent. */
  stop(): void {
    this.dispatch({ type: "stop" }, this.o.now());
  }

  configure(timers: BfdTimerConfig): void {
    this.dispatch({ type: "configure", timers }, this.o.now());
  }

  /** A packet for this session, with the time the endpoint read it. */
  receive(packet: BfdControlPacket, receivedAt: number): void {
    this.dispatch({ type: "packet", packet }, receivedAt);
  }

  /** Stops everything at once, without telling the peer (a crash, as the peer sees it). */
  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    return new Promise((resolve) => this.o.socket.close(() => resolve()));
  }

  private dispatch(input: BfdSessionInput, at: number): void {
    if (this.closed) return;
    const r = stepBfd(this.session, input, at, this.o.random());
    this.session = r.state;
    for (const a of r.actions) {
      this.perform(a);
      this.o.onAction?.(a, this.session);
    }
    this.armTimer();
  }

  private perform(a: BfdSessionAction): void {
    const { log, peerAddress } = this.o;
    switch (a.type) {
      case "send":
        this.o.socket.send(encode(a.packet), this.o.peerPort, peerAddress, (err) => {
          if (err) this.sendErrors++;
        });
        return;
      case "stateChanged":
        log?.info({ peer: peerAddress, from: a.from, to: a.to, diag: a.diag }, "bfd: session state");
        return;
      case "dropped":
        log?.debug({ peer: peerAddress, reason: a.reason }, "bfd: packet dropped");
        return;
    }
  }

  private armTimer(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const at = nextBfdDeadline(this.session);
    if (at === undefined) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.dispatch({ type: "tick" }, this.o.now());
    }, Math.max(0, Math.ceil(at - this.o.now())));
  }
}
