// The speaker's BGP effect port over FRR (--bgp-backend frr): the same plan the native announcer takes, rendered as
// FRR configuration (projections/bgp/frrConfig.ts) and applied as the difference from what FRR was last given
// (frrDiff.ts), never as a reload. One apply runs at a time; plans arriving meanwhile are coalesced into the next.
// FRR's own view of each session is polled for stats() and its state changes logged.
import type { BgpPeerConfig } from "../../../config/types.js";
import { FrrDaemons } from "../../../adapters/frr/frrDaemons.js";
import type { BgpPlan } from "../../../projections/bgp/bgpPlan.js";
import { planUsesBfd, renderFrrConfig, type FrrConfig, type FrrDefaults } from "../../../projections/bgp/frrConfig.js";
import { EMPTY_FRR_CONFIG, frrCommands, softOutPeers } from "../../../projections/bgp/frrDiff.js";
import { familyOfText } from "../../../net/ip.js";
import { prefixFamily } from "../../../protocols/bgp/prefix.js";
import type { BgpAnnouncer, BgpAnnouncerStats } from "../bgpAnnouncer.js";
import { restartDecision, type RestartDecision } from "../bgpRestart.js";
import { frrPeerStats, type FrrBfdPeer, type FrrNeighborsJson } from "./frrStats.js";

type Log = {
  debug(fields: object, msg: string): void;
  info(fields: object, msg: string): void;
  warn(fields: object, msg: string): void;
  error(fields: object, msg: string): void;
};

export type FrrAnnouncerOptions = {
  node: string;
  defaults: FrrDefaults;
  shutdownWaitMs: number;
  log: Log;
  /** Where the daemons' configuration and vty sockets go (a new directory per process); the system's tmpdir by default. */
  frrDir?: string;
  statsIntervalMs?: number;
};

const EMPTY_PLAN: BgpPlan = new Map();

export function createFrrBgpAnnouncer(opts: FrrAnnouncerOptions): BgpAnnouncer {
  const { log } = opts;
  const frr = new FrrDaemons({ node: opts.node, ...(opts.frrDir === undefined ? {} : { frrDir: opts.frrDir }) });
  let defaults: FrrDefaults = opts.defaults;
  let desired: BgpPlan = EMPTY_PLAN;
  let appliedPlan: BgpPlan = EMPTY_PLAN;
  let appliedConfig: FrrConfig = EMPTY_FRR_CONFIG;
  let started: Promise<void> | undefined;
  let pumping: Promise<void> | undefined;
  let closing = false;
  let neighbors: FrrNeighborsJson = {};
  let bfdd = false;
  let bfdPeers: FrrBfdPeer[] = [];
  let poll: NodeJS.Timeout | undefined;
  const problemsLogged = new Set<string>();
  const heldBack = new Map<string, string>(); // peer -> why its routes of the other family are not sent
  // As the native announcer: once per reason while routes are held back, once more when a next hop is back.
  const reportHeldBack = (plan: BgpPlan): void => {
    for (const [name, p] of plan) {
      const o = p.otherFamily;
      const routes = o !== undefined && "problem" in o ? [...p.routes.keys()].filter((prefix) => prefixFamily(prefix) === o.family).length : 0;
      const problem = o !== undefined && "problem" in o && routes > 0 ? o.problem : undefined;
      if (problem !== undefined && heldBack.get(name) !== problem) log.warn({ peer: name, reason: problem, routes }, "bgp: routes of the other address family not sent");
      if (problem === undefined && heldBack.has(name) && o !== undefined && !("problem" in o)) log.info({ peer: name }, "bgp: routes of the other address family can be sent again");
      if (problem !== undefined) heldBack.set(name, problem);
      else if (o === undefined || !("problem" in o)) heldBack.delete(name);
    }
  };
  const states = new Map<string, string>();

  const refreshStats = async (): Promise<void> => {
    try {
      neighbors = await frr.json<FrrNeighborsJson>("show bgp vrf all neighbors json");
      if (bfdd) bfdPeers = await frr.json<FrrBfdPeer[]>("show bfd peers json");
    } catch (err) {
      return log.debug({ err: String(err) }, "bgp: FRR neighbors not read");
    }
    for (const [name, s] of Object.entries(frrPeerStats(appliedPlan, neighbors, bfdPeers))) {
      const was = states.get(name);
      states.set(name, s.state);
      if (was === "established" && s.state !== "established") log.warn({ bgpPeer: name, state: s.state }, "bgp: session down");
      else if (was !== "established" && s.state === "established") log.info({ bgpPeer: name }, "bgp: session established");
    }
  };

  const start = (): Promise<void> =>
    (started ??= frr.start({ bfd: false }).then(() => {
      log.info({ dir: frr.dir }, "bgp: FRR started (zebra, bgpd)");
      poll = setInterval(() => void refreshStats(), opts.statsIntervalMs ?? 1_000);
    }));

  const applyOne = async (plan: BgpPlan): Promise<void> => {
    const t0 = performance.now();
    await start();
    if (planUsesBfd(plan) && !bfdd) {
      await frr.ensure("bfdd");
      bfdd = true;
      log.info({}, "bgp: FRR bfdd started (a BGPPeer names a BFDProfile)");
    }
    const config = renderFrrConfig(plan, defaults);
    for (const problem of config.problems) {
      if (problemsLogged.has(problem)) continue;
      problemsLogged.add(problem);
      log.warn({ problem }, "bgp: FRR cannot do what the configuration asks");
    }
    reportHeldBack(plan);
    const soft = softOutPeers(appliedPlan, plan);
    const commands = frrCommands(appliedConfig, config);
    const rendered = performance.now();
    try {
      const remarks = await frr.apply(commands);
      if (remarks.length > 0) log.warn({ remarks }, "bgp: FRR took the configuration with remarks");
    } catch (err) {
      // What FRR refused stays refused on a retry of the same lines; it is reported, the rest is in force.
      log.error({ err: (err as Error).message, commands: commands.length }, "bgp: FRR refused part of the configuration");
    }
    appliedConfig = config;
    appliedPlan = plan;
    await frr.exec(soft.flatMap((p) => softOut(p.peer))).catch((err: unknown) => log.warn({ err: String(err) }, "bgp: FRR soft reset out failed"));
    const ms = { render: Math.round(rendered - t0), apply: Math.round(performance.now() - rendered) };
    log.debug({ commands: commands.length, softOut: soft.map((p) => p.peer.name), ms }, "bgp: FRR configuration applied");
  };

  const pump = (): Promise<void> =>
    (pumping ??= (async () => {
      try {
        while (!closing && desired !== appliedPlan) await applyOne(desired);
      } catch (err) {
        log.error({ err: String(err) }, "bgp: FRR not usable");
      } finally {
        pumping = undefined;
      }
    })());

  return {
    backend: "frr",
    begin(previous, self): RestartDecision {
      const decision = restartDecision(previous, self, opts.defaults.restartTimeS);
      // Before the first apply, so bgpd's first OPENs carry it. The R bit is bgpd's own (it sets R while it has just started).
      if (decision.forwarding) defaults = { ...opts.defaults, preserveForwarding: true };
      log.info({ previous, ...decision, backend: "frr" }, decision.restarting ? "bgp: restarted in place (F bit from bgp graceful-restart preserve-fw-state; R bit FRR's own)" : "bgp: fresh start");
      return decision;
    },

    update(plan) {
      if (closing || plan === desired) return;
      desired = plan;
      void pump();
    },

    async close(options = {}) {
      if (closing) return;
      closing = true;
      await pumping;
      if (poll) clearInterval(poll);
      if (started === undefined) return;
      await started.catch(() => undefined);
      const keep = options.restart === true && [...appliedPlan.values()].some((p) => p.peer.enableGracefulRestart);
      if (keep) {
        // No NOTIFICATION: a router helping with graceful restart keeps our routes until the next process's End-of-RIB.
        await frr.stop({ kill: true });
        return;
      }
      await gracefulShutdown(options.reason ?? "vipmesh: node draining").catch((err: unknown) => log.warn({ err: String(err) }, "bgp: FRR graceful shutdown failed"));
      await frr.stop();
    },

    stats(): BgpAnnouncerStats {
      return { peers: frrPeerStats(appliedPlan, neighbors, bfdPeers) };
    },
  };

  /** RFC 8326 (`bgp graceful-shutdown`), the wait, then every session ended with the RFC 9003 communication. */
  async function gracefulShutdown(reason: string): Promise<void> {
    const routers = new Map(appliedConfig.sections.filter((s) => s.exclusive !== undefined && s.context.length === 1).map((s) => [s.exclusive, s.context[0]!]));
    const instances = [...routers.values()];
    const announcing = [...appliedPlan.values()].some((p) => p.routes.size > 0);
    if (announcing) {
      await frr.apply(instances.flatMap((router) => [router, "bgp graceful-shutdown"]));
      await frr.exec([...appliedPlan.values()].flatMap((p) => softOut(p.peer)));
      await new Promise((r) => setTimeout(r, opts.shutdownWaitMs));
    }
    const message = reason.replace(/[\r\n]/g, " ");
    const byRouter = new Map<string, string[]>();
    for (const p of appliedPlan.values()) {
      const router = routers.get(`router bgp vrf ${p.peer.vrf ?? "default"}`);
      if (router !== undefined) byRouter.set(router, [...(byRouter.get(router) ?? []), `neighbor ${p.peer.peerAddress} shutdown message ${message}`]);
    }
    await frr.apply([...byRouter].flatMap(([router, lines]) => [router, ...lines]));
    await new Promise((r) => setTimeout(r, 200)); // the Cease leaves before bgpd stops
  }
}

/** `clear bgp ... soft out` for each address family the peer has: FRR re-evaluates its outbound route-map. */
function softOut(peer: BgpPeerConfig): string[] {
  const vrf = peer.vrf === null ? "" : ` vrf ${peer.vrf}`;
  const own = familyOfText(peer.peerAddress) === 4 ? "ipv4" : "ipv6";
  const families = peer.dualStackAddressFamily ? ["ipv4", "ipv6"] : [own];
  return families.map((f) => `clear bgp${vrf} ${f} unicast ${peer.peerAddress} soft out`);
}
