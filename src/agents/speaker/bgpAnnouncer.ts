// The BGP effect port of the speaker, and its adapter over BgpTcpPeer: one session per BGPPeer selected for this
// node. Route changes go to the live session as incremental UPDATEs (setRoutes); only a change to the session itself
// (address, ASNs, timers, password...) replaces it. close() is RFC 8326 graceful shutdown: re-announce with the
// GRACEFUL_SHUTDOWN community, wait for routers to move traffic away, withdraw, then Cease. begin() says whether this
// process restarted in place (bgpRestart.ts): the sessions of the first update then carry the R and F bits.
// A dual-stack session's next hop for the other family comes with the plan; routes it cannot carry are logged once
// per reason and counted (stats). A peer naming a BFDProfile gets a BFD session (bgpBfd.ts): its BGP session connects
// once BFD is Up (bounded while the peer's BFD is silent), and BFD Down takes it down at once (Cease "BFD Down").
import type { BfdEndpointOptions } from "../../adapters/bfd/bfdEndpoint.js";
import { BgpTcpPeer, type BgpLogger } from "../../adapters/bgp/tcpPeer.js";
import type { BgpPeerPlan, BgpPlan } from "../../projections/bgp/bgpPlan.js";
import { prefixFamily } from "../../protocols/bgp/prefix.js";
import { desiredRoutes, withGracefulShutdown, type DesiredRoutes, type RouteAttributes } from "../../protocols/bgp/adjRibOut.js";
import { CeaseSubcode } from "../../protocols/bgp/notificationCodes.js";
import type { NextHops } from "../../protocols/bgp/peer.js";
import { SILENT_PEER_WAIT_MS, type StartReason } from "../../protocols/bfd/bgpPairing.js";
import { BgpBfdSessions, type BgpPeerBfdStats } from "./bgpBfd.js";
import { BgpCounterCarry } from "./bgpCounterCarry.js";
import { FRESH_START, restartDecision, type PreviousStop, type RestartDecision } from "./bgpRestart.js";
import { sessionFor, type BgpSessionDefaults, type BgpSessionPlan } from "./bgpSession.js";

export interface BgpAnnouncer {
  /** Who speaks BGP, for the session reports on the log; "native" when absent. */
  readonly backend?: "native" | "frr";
  /**
   * Once, before the first update: this node's last stop on the log and the log time of this process's first
   * heartbeat. The first session to each peer (those the next update opens) carries the resulting R and F bits.
   */
  begin(previous: PreviousStop | null, self: { incarnation: number; now: number }): RestartDecision;
  /** Replace what every session should carry; sessions are opened and closed to match the plan's peers. */
  update(plan: BgpPlan): void;
  /**
   * Graceful shutdown of every session; updates after it are ignored. With `restart` (restart in place), sessions
   * whose peer negotiated graceful restart are dropped without a NOTIFICATION instead, so the router keeps the
   * routes while the next process starts; the others shut down gracefully. The Cease carries `reason` as its RFC 9003
   * shutdown communication (default SHUTDOWN_REASON).
   */
  close(options?: { restart?: boolean; reason?: string }): Promise<void>;
  stats?(): BgpAnnouncerStats;
}

/** `unsendable`: desired routes the session cannot carry, with the reason (no next hop of their family, family not negotiated). */
export type BgpPeerStats = {
  state: string; established: number; updatesSent: number; prefixesSent: number; unsendable: number; unsendableReason?: string;
  /** Malformed UPDATEs received and handled without a session reset (RFC 7606), per kind, and routes so ignored. */
  updateErrors: Readonly<Partial<Record<string, number>>>;
  prefixesIgnored: number;
  /** The peer's address (the `peer` label of MetalLB's BGP metrics). */
  address?: string;
  /** NOTIFICATIONs by "code/subcode", sent and received, on the current session object. */
  notifications?: { sent: Readonly<Record<string, number>>; received: Readonly<Record<string, number>> };
  /** The paired BFD session, for peers naming a BFDProfile. */
  bfd?: BgpPeerBfdStats;
};
export type BgpAnnouncerStats = { peers: Record<string, BgpPeerStats> };

/** What the announcer needs of a session; BgpTcpPeer by default, a fake in unit tests. */
export interface BgpSessionHandle {
  start(): void;
  setRoutes(routes: DesiredRoutes, nextHops?: NextHops): void;
  stop(options?: { subcode?: number; message?: string }): Promise<void>;
  abandon(): Promise<void>;
  readonly state: BgpTcpPeer["state"];
}

export type BgpAnnouncerOptions = {
  defaults: BgpSessionDefaults;
  /** How long routes carry GRACEFUL_SHUTDOWN before they are withdrawn. */
  shutdownWaitMs: number;
  log: BgpLogger & { error(fields: object, msg: string): void };
  openSession?: (name: string, session: BgpSessionPlan, routes: DesiredRoutes) => BgpSessionHandle;
  /** Options of the BFD endpoint (ports; tests move them), opened with the first peer naming a BFDProfile. */
  bfd?: BfdEndpointOptions;
};

/** `started`: false while the session waits for its BFD session to come Up; `opened`: to open it again after BFD Down. */
type Live = {
  key: string; handle: BgpSessionHandle; started: boolean; opened: BgpSessionPlan;
  routes: DesiredRoutes; routesKey: string; nextHops: NextHops; nextHopProblem?: string;
};

const routesKey = (routes: ReadonlyMap<string, RouteAttributes>): string => JSON.stringify([...routes]);

/** The RFC 9003 shutdown communication of a speaker stopping (SIGTERM, SIGINT). */
export const SHUTDOWN_REASON = "vipmesh: node draining";

/** The other family's next hop a dual-stack plan carries, as the session's next hops. */
function nextHopsOf(p: BgpPeerPlan): NextHops {
  const o = p.otherFamily;
  if (o === undefined || !("address" in o)) return {};
  return o.family === 6 ? { ipv6: o.address } : { ipv4: o.address };
}

/** Why the plan's routes of the other family cannot go out, and how many there are. */
function nextHopProblem(p: BgpPeerPlan): { problem: string; routes: number } | undefined {
  const o = p.otherFamily;
  if (o === undefined || !("problem" in o)) return undefined;
  return { problem: o.problem, routes: [...p.routes.keys()].filter((prefix) => prefixFamily(prefix) === o.family).length };
}

export function createBgpAnnouncer(opts: BgpAnnouncerOptions): BgpAnnouncer {
  const live = new Map<string, Live>();
  const carried = new BgpCounterCarry();
  let closing = false;
  let lastPlan: BgpPlan | undefined;
  let restart = FRESH_START; // for the sessions the next update opens; only the first update's
  const open = opts.openSession ?? ((name, s, routes) => openTcpSession(name, s, routes, opts.log));
  const bfd = new BgpBfdSessions({
    log: opts.log,
    ...(opts.bfd === undefined ? {} : { endpoint: opts.bfd }),
    hooks: {
      startBgp(name, reason) {
        const l = live.get(name);
        if (closing || !l || l.started) return;
        l.started = true;
        logStart(opts.log, name, reason);
        l.handle.start();
      },
      stopBgp(name) {
        const l = live.get(name);
        if (closing || !l || !l.started) return;
        opts.log.warn({ peer: name }, "bgp: BFD session down: BGP session taken down, waiting for BFD up");
        const down = l.handle;
        Object.assign(l, { handle: open(name, { ...l.opened, peer: { ...l.opened.peer, nextHops: l.nextHops } }, l.routes), started: false });
        const stopped = down.stop({ subcode: CeaseSubcode.bfdDown, message: "vipmesh: BFD session down" }).catch((err: unknown) => opts.log.warn({ peer: name, err: String(err) }, "bgp: stop failed"));
        carried.retire(name, () => down.state.session.counters, stopped);
      },
    },
  });

  const retire = (name: string, l: Live, cease: { subcode: number; message?: string }): Promise<void> => {
    const { handle } = l;
    handle.setRoutes(new Map());
    const stopped = handle.stop(cease).catch((err: unknown) => opts.log.warn({ peer: name, err: String(err) }, "bgp: stop failed"));
    carried.retire(name, () => handle.state.session.counters, stopped);
    return stopped;
  };
  // Once per reason while routes are held back, once more when a next hop is back.
  const reportNextHop = (name: string, l: Live, planned: BgpPeerPlan): void => {
    const held = nextHopProblem(planned);
    if (held === undefined) {
      if (l.nextHopProblem === undefined) return;
      delete l.nextHopProblem;
      opts.log.info({ peer: name }, "bgp: routes of the other address family can be sent again");
    } else if (held.routes > 0 && held.problem !== l.nextHopProblem) {
      l.nextHopProblem = held.problem;
      opts.log.warn({ peer: name, reason: held.problem, routes: held.routes }, "bgp: routes of the other address family not sent");
    }
  };

  /** One planned peer: its live session updated in place, or (new, or its BGPPeer changed) a session opened. */
  const sync = (name: string, planned: BgpPeerPlan, flags: RestartDecision): void => {
    const { peer, routes } = planned;
    if (peer.password !== null && planned.md5Key === undefined) {
      opts.log.error({ peer: name }, "bgp: peer has a password this speaker has not read; session not opened");
      return;
    }
    let session: BgpSessionPlan;
    try {
      session = sessionFor(peer, opts.defaults, FRESH_START, planned.md5Key ?? null);
    } catch (err) {
      opts.log.error({ peer: name, err: (err as Error).message }, "bgp: peer not usable");
      return;
    }
    const key = JSON.stringify(session);
    const rkey = routesKey(routes);
    const nextHops = nextHopsOf(planned);
    const current = live.get(name);
    if (current?.key === key) {
      if (current.routesKey !== rkey || JSON.stringify(current.nextHops) !== JSON.stringify(nextHops)) {
        Object.assign(current, { routes: desiredRoutes(routes), routesKey: rkey, nextHops });
        current.handle.setRoutes(current.routes, nextHops);
      }
      bfd.sync(name, peer, planned.bfd, current.started);
      return reportNextHop(name, current, planned);
    }
    if (current) void retire(name, current, { subcode: CeaseSubcode.administrativeReset, message: `vipmesh: BGPPeer ${name} changed, reconnecting` });
    const valid = desiredRoutes(routes);
    // The key above leaves R and F out: they belong to the first OPENs, not to the session's identity; the next hops
    // change on the live session.
    const opened = flags === FRESH_START ? session : sessionFor(peer, opts.defaults, flags, planned.md5Key ?? null);
    const waitForBfd = bfd.sync(name, peer, planned.bfd);
    const l: Live = { key, handle: open(name, { ...opened, peer: { ...opened.peer, nextHops } }, valid), started: !waitForBfd, opened, routes: valid, routesKey: rkey, nextHops };
    live.set(name, l);
    reportNextHop(name, l, planned);
    if (l.started) l.handle.start();
    else opts.log.info({ peer: name, profile: planned.bfd?.name }, "bgp: waiting for the BFD session to come up");
  };

  return {
    backend: "native",
    begin(previous, self) {
      restart = restartDecision(previous, self, opts.defaults.restartTimeS);
      opts.log.info({ previous, ...restart }, restart.restarting ? "bgp: restarted in place: graceful restart R bit on the first sessions" : "bgp: fresh start");
      return restart;
    },

    update(plan) {
      if (closing || plan === lastPlan) return; // the speaker's plan is memoised: the same object means no change
      lastPlan = plan;
      const flags = restart;
      restart = FRESH_START;
      for (const [name, l] of live) {
        if (plan.has(name)) continue;
        live.delete(name);
        bfd.remove(name);
        void retire(name, l, { subcode: CeaseSubcode.peerDeconfigured });
        carried.forget(name);
      }
      for (const [name, planned] of plan) sync(name, planned, flags);
    },

    async close(options = {}) {
      if (closing) return;
      closing = true;
      const keeps = (l: Live): boolean => options.restart === true && l.handle.state.session.negotiated?.gracefulRestart !== undefined;
      const kept = [...live.values()].filter(keeps);
      const sessions = [...live.entries()].filter(([, l]) => !keeps(l));
      await Promise.all(kept.map((l) => l.handle.abandon()));
      const announcing = sessions.filter(([, l]) => l.handle.state.session.state === "established" && l.routes.size > 0);
      for (const [, l] of announcing) l.handle.setRoutes(withGracefulShutdown(l.routes));
      if (announcing.length > 0) await new Promise((r) => setTimeout(r, opts.shutdownWaitMs));
      const message = options.reason ?? SHUTDOWN_REASON;
      await Promise.all(sessions.map(([name, l]) => retire(name, l, { subcode: CeaseSubcode.administrativeShutdown, message })));
      live.clear();
      await bfd.close();
    },

    stats() {
      const peers: Record<string, BgpPeerStats> = {};
      for (const [name, l] of live) {
        const s = l.handle.state;
        const unsendable = s.unsendable.length;
        const reason = unsendable === 0 ? undefined : (l.nextHopProblem ?? "address family not negotiated with the peer");
        const b = bfd.stats(name);
        const totals = carried.totals(name, s.session.counters);
        peers[name] = {
          state: s.session.state, established: s.session.counters.establishedCount, updatesSent: totals.updatesSent, prefixesSent: s.ribOut.sent.size,
          unsendable, ...(reason === undefined ? {} : { unsendableReason: reason }),
          updateErrors: s.session.counters.updateErrors, prefixesIgnored: s.session.counters.prefixesIgnored,
          address: l.opened.socket.peerAddress,
          notifications: { sent: totals.notificationsSent, received: totals.notificationsReceived },
          ...(b === undefined ? {} : { bfd: b }),
        };
      }
      return { peers };
    },
  };
}

/** Why a BGP session paired with BFD connects (bgpPairing.ts). */
function logStart(log: BgpLogger, peer: string, reason: StartReason | "bfdError"): void {
  if (reason === "bfdUp") log.info({ peer }, "bgp: BFD session up: connecting");
  else if (reason === "peerAdminDown") log.info({ peer }, "bgp: the peer's BFD session is AdminDown: connecting");
  else if (reason === "peerSilent") {
    log.warn({ peer, waitedMs: SILENT_PEER_WAIT_MS }, "bgp: no BFD packet from the peer: connecting without BFD Up (the router may open its BFD session only once BGP is up); BFD Down takes the session down once BFD has been Up");
  } else log.warn({ peer }, "bgp: connecting without BFD: its session could not be opened");
}

function openTcpSession(name: string, s: BgpSessionPlan, routes: DesiredRoutes, log: BgpLogger): BgpSessionHandle {
  const { socket } = s;
  return new BgpTcpPeer({
    peerAddress: socket.peerAddress,
    peerPort: socket.peerPort,
    ...(socket.sourceAddress === null ? {} : { sourceAddress: socket.sourceAddress }),
    ...(socket.password === null && socket.ttl === null && socket.vrf === null ? {} : { socketOptions: { password: socket.password, ttl: socket.ttl, vrf: socket.vrf } }),
    config: s.peer,
    routes,
    log: { debug: (f, m) => log.debug({ bgpPeer: name, ...f }, m), info: (f, m) => log.info({ bgpPeer: name, ...f }, m), warn: (f, m) => log.warn({ bgpPeer: name, ...f }, m) },
  });
}
