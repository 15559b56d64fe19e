// The BFD sessions paired with the speaker's BGP sessions: one per BGPPeer naming a BFDProfile (single hop, or
// multihop on 4784 for ebgpMultiHop), on one BfdEndpoint opened with the first. A thin driver: the pure pairing
// step (protocols/bfd/bgpPairing.ts) decides when the BGP session may run; this file carries its actions out through
// `hooks`, and applies profile edits to the live BFD session (a Poll Sequence, no session drop).
import { performance } from "node:perf_hooks";
import { BfdEndpoint, type BfdEndpointOptions } from "../../adapters/bfd/bfdEndpoint.js";
import type { BfdSessionDriver, BfdLogger } from "../../adapters/bfd/bfdSession.js";
import type { BfdProfileConfig, BgpPeerConfig } from "../../config/types.js";
import { echoVerdict, type EchoVerdict } from "../../protocols/bfd/echo.js";
import { initialPairing, nextPairingDeadline, stepPairing, type BfdPairingInput, type BfdPairingState, type StartReason } from "../../protocols/bfd/bgpPairing.js";
import { penaltyAt, type DampeningConfig } from "../../protocols/bfd/dampening.js";
import { profileMinimumTtl, profileTimers } from "../../protocols/bfd/profile.js";
import type { BfdSessionState } from "../../protocols/bfd/sessionTypes.js";

export interface BfdPairingHooks {
  /** BFD is Up, the peer disabled it, or the peer stayed silent (bgpPairing.ts): the BGP session may connect. */
  startBgp(peer: string, reason: StartReason | "bfdError"): void;
  /** BFD went Down: take the BGP session down now, and hold the next one until BFD is Up. */
  stopBgp(peer: string): void;
}

/**
 * What `stats()` shows of a peer's BFD session. The first four fields are what any backend can report (FRR mode reads
 * them from bfdd); the optional ones are the native session's.
 */
export type BgpPeerBfdStats = {
  /** Down, Init, Up, AdminDown; "error" when the session could not be opened (BGP then runs without BFD). */
  state: string;
  /** The intervals in effect (ms) and our detect multiplier. */
  transmitIntervalMs: number;
  receiveIntervalMs: number;
  detectMultiplier: number;
  profile?: string;
  multihop?: boolean;
  /** Multihop: the smallest TTL accepted from the peer (BFDProfile.minimumTtl). */
  minimumTtl?: number;
  /** Why the session last went down (RFC 5880 diagnostic code). */
  diag?: number;
  /** The remote's detect multiplier x the agreed receive interval: how long a silent peer takes to be declared down. */
  detectTimeMs?: number | null;
  upCount?: number;
  downCount?: number;
  /** echoMode asked for and not run: why ("notSupported", or "multihop"). */
  echo?: { reason: string; detail: string };
  /** The profile's flap dampening: the penalty now, and while suppressed (BFD not trusted, BGP held down) when that ends. */
  dampening?: { penalty: number; suppressed: boolean; reuseInMs?: number };
  error?: string;
};

type Paired = {
  profile: BfdProfileConfig;
  multihop: boolean;
  address: string;
  pairing: BfdPairingState;
  /** Wakes the pairing at its deadline (the bound of a wait on a silent peer). */
  timer?: NodeJS.Timeout;
  driver?: BfdSessionDriver;
  error?: string;
};

const AFTER_ADMIN_DOWN_MS = 3000;

export class BgpBfdSessions {
  private endpoint: BfdEndpoint | undefined;
  private readonly paired = new Map<string, Paired>();
  private readonly byDiscriminator = new Map<number, string>();

  private readonly now: () => number;

  constructor(private readonly o: { log: BfdLogger & { error(f: object, m: string): void }; hooks: BfdPairingHooks; endpoint?: BfdEndpointOptions; silentPeerWaitMs?: number }) {
    this.now = o.endpoint?.now ?? (() => performance.now());
  }

  /**
   * Pairs `peer` with `profile` (or unpairs it, `undefined`). Returns whether its BGP session must wait before it
   * connects: a new pairing waits for BFD Up (bounded while the peer is silent, bgpPairing.ts); `running` says the
   * BGP session already runs, and adding BFD to it takes nothing down.
   */
  sync(name: string, peer: BgpPeerConfig, profile: BfdProfileConfig | undefined, running = false): boolean {
    const current = this.paired.get(name);
    const multihop = peer.ebgpMultiHop;
    if (current && (!profile || current.multihop !== multihop || current.address !== peer.peerAddress)) this.remove(name);
    if (!profile) return false;
    const live = this.paired.get(name);
    if (live) {
      if (JSON.stringify(live.profile) !== JSON.stringify(profile)) {
        live.profile = profile;
        live.driver?.configure(profileTimers(profile));
        if (live.multihop && live.driver) void this.endpoint?.setMinimumTtl(live.driver, profileMinimumTtl(profile)).catch((err: unknown) => this.o.log.error({ peer: name, err: String(err) }, "bfd: the profile's minimumTtl could not be applied"));
        this.o.log.info({ peer: name, profile: profile.name }, "bfd: profile applied to the live session");
        this.step(name, live, { type: "tick" }); // a dampening change may end or shorten a suppression
      }
      return live.pairing.bgp === "waiting";
    }
    const p: Paired = { profile, multihop, address: peer.peerAddress, pairing: initialPairing(running ? "running" : "waiting", this.now(), this.o.silentPeerWaitMs) };
    this.paired.set(name, p);
    this.arm(name, p);
    void this.open(name, p, peer);
    return p.pairing.bgp === "waiting";
  }

  /** Stops the peer's BFD session (AdminDown, so the router does not take it for a failure), then closes it. */
  remove(name: string): void {
    const p = this.paired.get(name);
    if (!p) return;
    this.paired.delete(name);
    clearTimeout(p.timer);
    const driver = p.driver;
    if (!driver || !this.endpoint) return;
    const endpoint = this.endpoint;
    this.byDiscriminator.delete(driver.state.config.localDiscriminator);
    driver.stop();
    setTimeout(() => void endpoint.removePeer(driver), AFTER_ADMIN_DOWN_MS).unref();
  }

  stats(name: string): BgpPeerBfdStats | undefined {
    const p = this.paired.get(name);
    if (!p) return undefined;
    const echo: EchoVerdict = echoVerdict(p.profile, p.multihop);
    const s = p.driver?.state;
    return {
      profile: p.profile.name,
      state: s ? s.state : p.error ? "error" : "down",
      multihop: p.multihop,
      ...(p.multihop ? { minimumTtl: profileMinimumTtl(p.profile) } : {}),
      diag: s?.localDiag ?? 0,
      transmitIntervalMs: (s?.inEffect.desiredMinTxUs ?? profileTimers(p.profile).desiredMinTxUs) / 1000,
      receiveIntervalMs: (s?.inEffect.requiredMinRxUs ?? profileTimers(p.profile).requiredMinRxUs) / 1000,
      detectMultiplier: s?.config.detectMult ?? profileTimers(p.profile).detectMult,
      detectTimeMs: s ? detectTimeMs(s) : null,
      upCount: s?.counters.upCount ?? 0,
      downCount: s?.counters.downCount ?? 0,
      ...(echo.run || echo.reason === "notRequested" ? {} : { echo: { reason: echo.reason, detail: echo.detail } }),
      ...(p.profile.dampening === undefined ? {} : { dampening: this.dampeningStats(p, p.profile.dampening) }),
      ...(p.error === undefined ? {} : { error: p.error }),
    };
  }

  private dampeningStats(p: Paired, config: DampeningConfig): NonNullable<BgpPeerBfdStats["dampening"]> {
    const now = this.now();
    const until = p.pairing.suppressedUntil;
    const penalty = Math.round(penaltyAt(config, p.pairing.dampening, now));
    return until === undefined || until <= now ? { penalty, suppressed: false } : { penalty, suppressed: true, reuseInMs: Math.round(until - now) };
  }

  /** Every session AdminDown (RFC 5882 3.2: the routers keep their BGP sessions for it), then the sockets closed. */
  async close(): Promise<void> {
    for (const p of this.paired.values()) {
      clearTimeout(p.timer);
      p.driver?.stop();
    }
    this.paired.clear();
    await this.endpoint?.close();
    this.endpoint = undefined;
  }

  private async open(name: string, p: Paired, peer: BgpPeerConfig): Promise<void> {
    this.endpoint ??= new BfdEndpoint({ ...this.o.endpoint, log: this.o.log, onAction: (_peer, a, s) => a.type === "stateChanged" && this.onState(s) });
    try {
      const driver = await this.endpoint.addPeer({
        peerAddress: peer.peerAddress,
        ...(peer.sourceAddress === null ? {} : { localAddress: peer.sourceAddress }),
        multihop: p.multihop,
        ...(p.multihop ? { minimumTtl: profileMinimumTtl(p.profile) } : {}),
        timers: profileTimers(p.profile),
        echoMode: p.profile.echoMode,
        ...(peer.vrf === null ? {} : { device: peer.vrf }),
      });
      if (this.paired.get(name) !== p) return void this.endpoint.removePeer(driver);
      p.driver = driver;
      this.byDiscriminator.set(driver.state.config.localDiscriminator, name);
      this.o.log.info({ peer: name, profile: p.profile.name, multihop: p.multihop, sourcePort: driver.sourcePort }, "bfd: session opened");
      const echo = echoVerdict(p.profile, p.multihop);
      if (!echo.run && echo.reason !== "notRequested") this.o.log.warn({ peer: name, profile: p.profile.name, reason: echo.reason, detail: echo.detail }, "bfd: the profile asks for echo mode, which this session does not run");
    } catch (err) {
      // Without its BFD session the BGP session still runs: BFD speeds up failure detection, it is no precondition.
      p.error = (err as Error).message;
      this.o.log.error({ peer: name, err: p.error }, "bfd: session could not be opened; the BGP session runs without BFD");
      if (this.paired.get(name) === p && p.pairing.bgp === "waiting") {
        clearTimeout(p.timer);
        p.pairing = { bfd: p.pairing.bfd, remoteAdminDown: false, bgp: "running", dampening: p.pairing.dampening };
        this.o.hooks.startBgp(name, "bfdError");
      }
    }
  }

  private onState(s: BfdSessionState): void {
    const name = this.byDiscriminator.get(s.config.localDiscriminator);
    const p = name === undefined ? undefined : this.paired.get(name);
    if (!p || name === undefined) return;
    this.step(name, p, { type: "bfdState", to: s.state, remoteAdminDown: s.remote.state === "adminDown" });
  }

  private step(name: string, p: Paired, input: BfdPairingInput): void {
    const before = p.pairing.suppressedUntil;
    const r = stepPairing(p.pairing, input, this.now(), { ...(this.o.silentPeerWaitMs === undefined ? {} : { silentWaitMs: this.o.silentPeerWaitMs }), dampening: p.profile.dampening });
    p.pairing = r.state;
    this.logDampening(name, p, before);
    this.arm(name, p);
    for (const a of r.actions) {
      if (a.type === "startBgp") this.o.hooks.startBgp(name, a.reason);
      else this.o.hooks.stopBgp(name);
    }
  }

  private logDampening(name: string, p: Paired, before: number | undefined): void {
    const until = p.pairing.suppressedUntil;
    const penalty = Math.round(p.pairing.dampening.penalty);
    if (before === undefined && until !== undefined) this.o.log.warn({ peer: name, profile: p.profile.name, penalty, reuseInMs: Math.round(until - this.now()) }, "bfd: session flapping: suppressed by dampening; the BGP session stays down until the penalty decays");
    else if (before !== undefined && until === undefined) this.o.log.info({ peer: name, profile: p.profile.name, penalty }, "bfd: dampening ended: the session is trusted again");
  }

  private arm(name: string, p: Paired): void {
    clearTimeout(p.timer);
    const at = nextPairingDeadline(p.pairing);
    if (at === undefined) return;
    p.timer = setTimeout(() => this.paired.get(name) === p && this.step(name, p, { type: "tick" }), Math.max(0, at - this.now()));
    p.timer.unref();
  }
}

/** The detection time in force (RFC 5880 6.8.4): the remote's Detect Mult x the agreed receive interval. */
function detectTimeMs(s: BfdSessionState): number | null {
  if (s.remote.detectMult === 0) return null;
  return (s.remote.detectMult * Math.max(s.inEffect.requiredMinRxUs, s.remote.desiredMinTxUs)) / 1000;
}
