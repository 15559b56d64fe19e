// The BFD sessions paired with the speaker's BGP sessions: one per BGPPeer naming a BFDProfile (single hop, or
// multihop on 4784 for ebgpMultiHop), on one BfdEndpoint opened with the first. A thin driver: the pure pairing
// step (protocols/bfd/bgpPairing.ts) decides when the BGP session may run; this file carries its actions out through
// `hooks`, and applies profile edits to the live BFD session (a Poll Sequence, no session drop).
import { BfdEndpoint, type BfdEndpointOptions } from "../../adapters/bfd/bfdEndpoint.js";
import type { BfdSessionDriver, BfdLogger } from "../../adapters/bfd/bfdSession.js";
import type { BfdProfileConfig, BgpPeerConfig } from "../../config/types.js";
import { echoVerdict, type EchoVerdict } from "../../protocols/bfd/echo.js";
import { initialPairing, stepPairing, type BfdPairingState } from "../../protocols/bfd/bgpPairing.js";
import { profileTimers } from "../../protocols/bfd/profile.js";
import { DEFAULT_MULTIHOP_MINIMUM_TTL } from "../../protocols/bfd/timers.js";
import type { BfdSessionState } from "../../protocols/bfd/sessionTypes.js";

export interface BfdPairingHooks {
  /** BFD is Up (or the peer disabled it): the BGP session may connect. */
  startBgp(peer: string): void;
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
  /** Why the session last went down (RFC 5880 diagnostic code). */
  diag?: number;
  /** The remote's detect multiplier x the agreed receive interval: how long a silent peer takes to be declared down. */
  detectTimeMs?: number | null;
  upCount?: number;
  downCount?: number;
  /** echoMode asked for and not run: why ("notSupported", or "multihop"). */
  echo?: { reason: string; detail: string };
  error?: string;
};

type Paired = {
  profile: BfdProfileConfig;
  multihop: boolean;
  address: string;
  pairing: BfdPairingState;
  driver?: BfdSessionDriver;
  error?: string;
};

const AFTER_ADMIN_DOWN_MS = 3000;

export class BgpBfdSessions {
  private endpoint: BfdEndpoint | undefined;
  private readonly paired = new Map<string, Paired>();
  private readonly byDiscriminator = new Map<number, string>();

  constructor(private readonly o: { log: BfdLogger & { error(f: object, m: string): void }; hooks: BfdPairingHooks; endpoint?: BfdEndpointOptions }) {}

  /**
   * Pairs `peer` with `profile` (or unpairs it, `undefined`). Returns whether its BGP session must wait for BFD Up
   * before it connects: only after BFD went Down (bgpPairing.ts says why a new pairing does not wait).
   */
  sync(name: string, peer: BgpPeerConfig, profile: BfdProfileConfig | undefined): boolean {
    const current = this.paired.get(name);
    const multihop = peer.ebgpMultiHop;
    if (current && (!profile || current.multihop !== multihop || current.address !== peer.peerAddress)) this.remove(name);
    if (!profile) return false;
    const live = this.paired.get(name);
    if (live) {
      if (JSON.stringify(live.profile) !== JSON.stringify(profile)) {
        live.profile = profile;
        live.driver?.configure(profileTimers(profile));
        this.o.log.info({ peer: name, profile: profile.name }, "bfd: profile applied to the live session");
      }
      return live.pairing.bgp === "waiting";
    }
    const p: Paired = { profile, multihop, address: peer.peerAddress, pairing: initialPairing("running") };
    this.paired.set(name, p);
    void this.open(name, p, peer);
    return p.pairing.bgp === "waiting";
  }

  /** Stops the peer's BFD session (AdminDown, so the router does not take it for a failure), then closes it. */
  remove(name: string): void {
    const p = this.paired.get(name);
    if (!p) return;
    this.paired.delete(name);
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
      diag: s?.localDiag ?? 0,
      transmitIntervalMs: (s?.inEffect.desiredMinTxUs ?? profileTimers(p.profile).desiredMinTxUs) / 1000,
      receiveIntervalMs: (s?.inEffect.requiredMinRxUs ?? profileTimers(p.profile).requiredMinRxUs) / 1000,
      detectMultiplier: s?.config.detectMult ?? profileTimers(p.profile).detectMult,
      detectTimeMs: s ? detectTimeMs(s) : null,
      upCount: s?.counters.upCount ?? 0,
      downCount: s?.counters.downCount ?? 0,
      ...(echo.run || echo.reason === "notRequested" ? {} : { echo: { reason: echo.reason, detail: echo.detail } }),
      ...(p.error === undefined ? {} : { error: p.error }),
    };
  }

  /** Every session AdminDown (RFC 5882 3.2: the routers keep their BGP sessions for it), then the sockets closed. */
  async close(): Promise<void> {
    for (const p of this.paired.values()) p.driver?.stop();
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
        timers: profileTimers(p.profile),
        echoMode: p.profile.echoMode,
        ...(peer.vrf === null ? {} : { device: peer.vrf }),
      });
      if (this.paired.get(name) !== p) return void this.endpoint.removePeer(driver);
      p.driver = driver;
      this.byDiscriminator.set(driver.state.config.localDiscriminator, name);
      this.o.log.info({ peer: name, profile: p.profile.name, multihop: p.multihop, sourcePort: driver.sourcePort }, "bfd: session opened");
      const minTtl = p.profile.minimumTtl;
      if (p.multihop && minTtl !== undefined && minTtl !== DEFAULT_MULTIHOP_MINIMUM_TTL) {
        this.o.log.warn({ peer: name, profile: p.profile.name, minimumTtl: minTtl, applied: DEFAULT_MULTIHOP_MINIMUM_TTL }, "bfd: the profile's minimumTtl is not applied: multihop packets need TTL 254 or more");
      }
      const echo = echoVerdict(p.profile, p.multihop);
      if (!echo.run && echo.reason !== "notRequested") this.o.log.warn({ peer: name, profile: p.profile.name, reason: echo.reason, detail: echo.detail }, "bfd: the profile asks for echo mode, which this session does not run");
    } catch (err) {
      // Without its BFD session the BGP session still runs: BFD speeds up failure detection, it is no precondition.
      p.error = (err as Error).message;
      this.o.log.error({ peer: name, err: p.error }, "bfd: session could not be opened; the BGP session runs without BFD");
      if (this.paired.get(name) === p && p.pairing.bgp === "waiting") {
        p.pairing = { ...p.pairing, bgp: "running" };
        this.o.hooks.startBgp(name);
      }
    }
  }

  private onState(s: BfdSessionState): void {
    const name = this.byDiscriminator.get(s.config.localDiscriminator);
    const p = name === undefined ? undefined : this.paired.get(name);
    if (!p || name === undefined) return;
    const r = stepPairing(p.pairing, { type: "bfdState", to: s.state, remoteAdminDown: s.remote.state === "adminDown" });
    p.pairing = r.state;
    for (const a of r.actions) {
      if (a.type === "startBgp") this.o.hooks.startBgp(name);
      else this.o.hooks.stopBgp(name);
    }
  }
}

/** The detection time in force (RFC 5880 6.8.4): the remote's Detect Mult x the agreed receive interval. */
function detectTimeMs(s: BfdSessionState): number | null {
  if (s.remote.detectMult === 0) return null;
  return (s.remote.detectMult * Math.max(s.inEffect.requiredMinRxUs, s.remote.desiredMinTxUs)) / 1000;
}
