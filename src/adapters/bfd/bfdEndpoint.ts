// BFD over UDP for one host: the receive sockets (3784 single hop, RFC 5881; 4784 multihop, RFC 5883), decoding,
// demultiplexing to sessions, and the sessions themselves (bfdSession.ts). Each datagram's receive time is taken
// here, first thing, and travels with the packet into the FSM. Malformed packets and packets of no session are
// dropped and counted by reason. TTL: single-hop sockets accept only 255, and multihop ones each session's floor
// for packets from its peer (the default floor from other sources), enforced in the kernel (udpSocket.ts,
// protocols/bfd/ttlFilter.ts), so those drops are not counted here. Echo packets (3785) are not received:
// we advertise Required Min Echo RX 0 and send none (protocols/bfd/echo.ts).
import type { RemoteInfo, Socket } from "node:dgram";
import { performance } from "node:perf_hooks";
import { familyOfText, canonicalIp } from "../../net/ip.js";
import { BFD_MULTIHOP_PORT, BFD_SINGLE_HOP_PORT, BFD_SOURCE_PORT_MAX, BFD_SOURCE_PORT_MIN } from "../../protocols/bfd/constants.js";
import { decode } from "../../protocols/bfd/controlPacket.js";
import { demultiplex, type BfdSessionIndex } from "../../protocols/bfd/demux.js";
import { echoVerdict } from "../../protocols/bfd/echo.js";
import type { BfdSessionAction, BfdSessionState, BfdTimerConfig } from "../../protocols/bfd/sessionTypes.js";
import { receiveTtlThreshold } from "../../protocols/bfd/timers.js";
import { DecodeError } from "../../protocols/codec/errors.js";
import { BfdSessionDriver, type BfdLogger } from "./bfdSession.js";
import { multihopTtlFilter } from "../../protocols/bfd/ttlFilter.js";
import { openBfdSocket, setReceiveFilter } from "./udpSocket.js";

const listenerKey = (family: 4 | 6, multihop: boolean, device: string | undefined): string => `${family}/${multihop ? "multihop" : "single"}/${device ?? ""}`;

export interface BfdEndpointOptions {
  /** The destination port of single-hop control packets (3784; tests may move it). */
  readonly singleHopPort?: number;
  readonly multihopPort?: number;
  /** The multihop TTL floor of sessions that set none, and of packets from no session's peer (254 when unset). */
  readonly multihopMinimumTtl?: number;
  readonly log?: BfdLogger;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly onAction?: (peer: string, action: BfdSessionAction, state: BfdSessionState) => void;
}

export interface BfdPeerOptions {
  readonly peerAddress: string;
  /** The address our packets come from (the session's identity at the peer); unset: the one the kernel picks. */
  readonly localAddress?: string;
  readonly multihop: boolean;
  readonly timers: BfdTimerConfig;
  /** BFDProfile.echoMode: the session records why it runs no echo function (protocols/bfd/echo.ts). */
  readonly echoMode?: boolean;
  /** Bind the session's sockets to this device (a VRF or an interface). */
  readonly device?: string;
  /** Where the peer listens (default: 3784 or 4784). */
  readonly peerPort?: number;
  /** Multihop only: the smallest TTL accepted from this peer (BFDProfile.minimumTtl; default the endpoint's). */
  readonly minimumTtl?: number;
}

export interface BfdEndpointCounters {
  received: number;
  malformed: Record<string, number>;
  unmatched: Record<string, number>;
}

type Entry = { driver: BfdSessionDriver; peer: string; multihop: boolean; family: 4 | 6; device?: string; minTtl?: number };
const SOURCE_PORT_ATTEMPTS = 64;

export class BfdEndpoint {
  readonly counters: BfdEndpointCounters = { received: 0, malformed: {}, unmatched: {} };
  private readonly listeners = new Map<string, Promise<Socket>>();
  private readonly byDiscriminator = new Map<number, Entry>();
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly index: BfdSessionIndex<Entry>;
  /** Once closing, the sockets' fds may be closed and reused: no filter is attached any more. */
  private closed = false;

  constructor(private readonly o: BfdEndpointOptions = {}) {
    this.now = o.now ?? (() => performance.now());
    this.random = o.random ?? Math.random;
    this.index = {
      byDiscriminator: (d) => {
        const e = this.byDiscriminator.get(d);
        return e === undefined ? undefined : { session: e, peer: e.peer, multihop: e.multihop };
      },
      byPeer: (address, multihop) => [...this.byDiscriminator.values()].find((e) => e.peer === address && e.multihop === multihop),
    };
  }

  /** Opens the session's sockets and starts it (Down, sending unless passive). */
  async addPeer(p: BfdPeerOptions): Promise<BfdSessionDriver> {
    const peer = canonicalIp(p.peerAddress);
    if (this.index.byPeer(peer, p.multihop) !== undefined) throw new Error(`bfd: a ${p.multihop ? "multihop" : "single-hop"} session to ${peer} exists`);
    const family = familyOfText(peer) === 6 ? 6 : 4;
    await this.listen(family, p.multihop, p.device);
    const socket = await this.openSourcePort(family, p.localAddress ?? null, p.device);
    const discriminator = this.newDiscriminator();
    const driver = new BfdSessionDriver({
      peerAddress: peer,
      peerPort: p.peerPort ?? (p.multihop ? (this.o.multihopPort ?? BFD_MULTIHOP_PORT) : (this.o.singleHopPort ?? BFD_SINGLE_HOP_PORT)),
      localDiscriminator: discriminator,
      timers: p.timers,
      echo: echoVerdict({ echoMode: p.echoMode ?? false }, p.multihop),
      socket,
      now: this.now,
      random: this.random,
      ...(this.o.log === undefined ? {} : { log: this.o.log }),
      onAction: (a, s) => this.o.onAction?.(peer, a, s),
    });
    const entry: Entry = { driver, peer, multihop: p.multihop, family, ...(p.device === undefined ? {} : { device: p.device }), ...(p.minimumTtl === undefined ? {} : { minTtl: p.minimumTtl }) };
    this.byDiscriminator.set(discriminator, entry);
    if (p.multihop) await this.refilter(entry);
    driver.start();
    return driver;
  }

  /** A multihop session's new floor (a profile edit), in force in the kernel when this resolves. */
  async setMinimumTtl(driver: BfdSessionDriver, minimumTtl: number | undefined): Promise<void> {
    const e = this.byDiscriminator.get(driver.state.config.localDiscriminator);
    if (!e?.multihop || e.minTtl === minimumTtl) return;
    if (minimumTtl === undefined) delete e.minTtl;
    else e.minTtl = minimumTtl;
    await this.refilter(e);
  }

  /** Closes a session without telling the peer (call `stop()` on it first for an orderly AdminDown). */
  async removePeer(driver: BfdSessionDriver): Promise<void> {
    const e = this.byDiscriminator.get(driver.state.config.localDiscriminator);
    this.byDiscriminator.delete(driver.state.config.localDiscriminator);
    await driver.close();
    if (!e?.multihop) return;
    // Called from timers (a removed peer is closed after its AdminDown): a failure is logged, never thrown at nobody.
    await this.refilter(e).catch((err: unknown) => this.o.log?.warn({ peer: e.peer, err: String(err) }, "bfd: multihop TTL floors not updated"));
  }

  /** The multihop receive socket of `like`'s family and device gets the floors of the sessions it serves. */
  private async refilter(like: Entry): Promise<void> {
    const socket = this.listeners.get(listenerKey(like.family, true, like.device));
    if (socket === undefined || this.closed) return;
    const fallback = receiveTtlThreshold(true, this.o.multihopMinimumTtl);
    const floors = [...this.byDiscriminator.values()]
      .filter((e) => e.multihop && e.family === like.family && e.device === like.device)
      .map((e) => ({ address: e.peer, minTtl: e.minTtl ?? fallback }));
    const open = await socket;
    if (!this.closed) setReceiveFilter(open, multihopTtlFilter(like.family, floors, fallback));
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.byDiscriminator.values()].map((e) => e.driver.close()));
    this.byDiscriminator.clear();
    const sockets = await Promise.allSettled(this.listeners.values());
    this.listeners.clear();
    await Promise.all(sockets.map((s) => (s.status === "fulfilled" ? new Promise<void>((r) => s.value.close(() => r())) : undefined)));
  }

  private listen(family: 4 | 6, multihop: boolean, device: string | undefined): Promise<Socket> {
    const key = listenerKey(family, multihop, device);
    let socket = this.listeners.get(key);
    if (socket === undefined) {
      const port = multihop ? (this.o.multihopPort ?? BFD_MULTIHOP_PORT) : (this.o.singleHopPort ?? BFD_SINGLE_HOP_PORT);
      const minTtl = receiveTtlThreshold(multihop, this.o.multihopMinimumTtl);
      socket = openBfdSocket({ family, address: null, port, ttl: 255, minTtl, ...(device === undefined ? {} : { device }) }).then((s) => {
        s.on("message", (bytes, from) => this.onDatagram(bytes, from, multihop, this.now()));
        s.on("error", (err) => this.o.log?.warn({ port, err: err.message }, "bfd: receive socket error"));
        return s;
      });
      socket.catch(() => this.listeners.delete(key));
      this.listeners.set(key, socket);
    }
    return socket;
  }

  private async openSourcePort(family: 4 | 6, address: string | null, device: string | undefined): Promise<Socket> {
    const span = BFD_SOURCE_PORT_MAX - BFD_SOURCE_PORT_MIN + 1;
    for (let attempt = 0; ; attempt++) {
      const port = BFD_SOURCE_PORT_MIN + Math.floor(this.random() * span);
      try {
        return await openBfdSocket({ family, address, port, ttl: 255, minTtl: 255, ...(device === undefined ? {} : { device }) });
      } catch (err) {
        if ((err as { code?: string }).code !== "EADDRINUSE" || attempt >= SOURCE_PORT_ATTEMPTS) throw err;
      }
    }
  }

  private newDiscriminator(): number {
    for (;;) {
      const d = 1 + Math.floor(this.random() * 0xfffffffe);
      if (!this.byDiscriminator.has(d)) return d;
    }
  }

  private onDatagram(bytes: Uint8Array, from: RemoteInfo, multihop: boolean, receivedAt: number): void {
    this.counters.received++;
    let packet;
    try {
      packet = decode(bytes).value;
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      this.counters.malformed[err.code] = (this.counters.malformed[err.code] ?? 0) + 1;
      this.o.log?.debug({ from: from.address, err: err.message }, "bfd: malformed packet dropped");
      return;
    }
    const found = demultiplex(packet, { address: canonicalIp(from.address), multihop }, this.index);
    if ("drop" in found) {
      this.counters.unmatched[found.drop] = (this.counters.unmatched[found.drop] ?? 0) + 1;
      return;
    }
    found.session.driver.receive(packet, receivedAt);
  }
}
