import type { Logger } from "pino";
import type { NatsClientSecurity } from "../../adapters/nats/security.js";
import { publishEvent } from "../../adapters/nats/publish.js";
import type { StreamSettings } from "../../adapters/nats/streams.js";
import { readInterfaceFacts } from "../../adapters/host/interfaces.js";
import { subjects } from "../../events/subjects.js";
import { STREAMS } from "../../events/types.js";
import type { MembershipSettings } from "../../projections/settings.js";
import { planClaims } from "../../projections/ownershipPlan.js";
import type { L2Announcer } from "./announcer.js";
import type { BgpAnnouncer } from "./bgpAnnouncer.js";
import { readPreviousStop } from "./bgpRestartLog.js";
import { speakerBgpPlan } from "./bgpView.js";
import { Claimer } from "./claims.js";
import type { ConfigSource } from "./configSource.js";
import { ConfigPublisher } from "../config/configPublisher.js";
import type { ReleaseGuardSettings } from "../../projections/ipam/releaseGuard.js";
import { startHeartbeats } from "./heartbeats.js";
import { SpeakerView } from "./view.js";
import { LogHost, type LogHostOptions } from "../host/logHost.js";
import type { AnnouncerDecisions } from "./decisions.js";
import { startFactsPublisher } from "./factsPublisher.js";
import { Fencing } from "./fencing.js";
import type { MembershipMode } from "../../events/types.js";
import { openProbeSocket } from "../../adapters/probe/probeSocket.js";
import { startVerdictWatch, type VerdictWatch } from "./verdictWatch.js";
import { startPresence } from "./presence.js";
import { startServerPulse } from "./serverPulse.js";

/** In verdicts mode: how often a speaker says it is there, and how often it checks that the server answers (fencing). */
const PRESENCE_EVERY_MS = 5_000;
const SERVER_PULSE_MS = 40;
import { fenceReporter } from "./fenceReporter.js";
import { startConflictReporter } from "./conflictReporter.js";
import { DEFAULT_SESSION_REPORT_POLL_MS, DEFAULT_SESSION_REPORT_WINDOW_MS, startBgpSessionsPublisher } from "./bgpSessionsPublisher.js";
import type { FenceSettings } from "../../protocols/fence/fenceMachine.js";
import type { ProbeKeyring } from "../../protocols/fence/probeKeys.js";
import type { AnswerSet } from "../../projections/answering.js";
import type { BgpPlan } from "../../projections/bgp/bgpPlan.js";
import type { AgentMonitor } from "../health/monitor.js";
import { PartHealth } from "../health/partHealth.js";
import { LogChanges } from "../health/logChanges.js";

export type SpeakerOptions = {
  node: string;
  natsServers: string[];
  /** Credentials and TLS for NATS (src/adapters/nats/security.ts); anonymous without. */
  natsSecurity?: NatsClientSecurity;
  configSource: ConfigSource | null;
  membership: MembershipSettings;
  streams: StreamSettings;
  excludeInterfaces: string[];
  version: string;
  handoverTimeoutMs: number;
  snapshotEveryEvents: number;
  /** How often the configuration source is read again; a change is published, an invalid one reported once. */
  configPollMs: number;
  /** The guard on configuration changes this speaker publishes from `configSource`. */
  releaseGuard: ReleaseGuardSettings;
  announcer: L2Announcer;
  /** BGP sessions for the BGPPeers selecting this node; absent in L2-only deployments. */
  bgp?: BgpAnnouncer;
  fence: FenceSettings;
  /** UDP port for the direct probes between speakers that tell a partition from a log outage. */
  probePort: number;
  /** The keys the probes are signed and checked with, read on every probe (so a reloaded key file applies at once). */
  probeKeys: () => ProbeKeyring;
  /**
   * What SIGTERM means: "handover" (leave: another node claims and announces before this one stops; for drains
   * and reboots) or "restart" (an upgrade in place: the VIPs wait `restartGraceMs` for the new process, so no traffic
   * moves at all).
   */
  onSigterm: "handover" | "restart";
  restartGraceMs: number;
  /** Where node statuses come from (design.md, "Membership"): every node's heartbeats (default), or watchers' verdicts (experimental). */
  membershipMode?: MembershipMode;
  log: Logger;
  /** The process's health and metrics (/healthz, /readyz, /metrics); none in tests that do not scrape. */
  monitor?: AgentMonitor;
  /** The process's log host, being opened (the process closes it); without, the speaker opens and closes its own. */
  host?: Promise<LogHost<SpeakerView> | null>;
  /** Where the announcers' inputs are handed on (the node status writer of the same process). */
  decisions?: AnnouncerDecisions;
};

/** Runs one node's speaker until `signal` aborts, then leaves in order: hand over, stop answering, drain. */
export async function runSpeaker(opts: SpeakerOptions, signal: AbortSignal): Promise<void> {
  const { log, node } = opts;
  const incarnation = Date.now();
  const health = new PartHealth(opts.monitor, "speaker", signal);
  const host = await (opts.host ?? openSpeakerHost(opts, signal));
  if (!host) return health.close();
  const { js, jsm, view } = host;
  // Graceful restart: this node's last stop on the log (a NodeRestarting within the restart time sets the R bit).
  const previousStop = !opts.bgp ? null : await readPreviousStop(jsm, node).catch((err: unknown) => {
    log.warn({ err: String(err) }, "bgp: this node's last stop not read from the log; starting as a fresh start");
    return null;
  });
  const mode = view.mode;
  let watch: VerdictWatch | null = null;
  const claimer = new Claimer(js, node, incarnation, log);
  let leaving = false;
  let configChecked = false;
  let bgpBegun = false;
  const changes = new LogChanges();
  let answering: AnswerSet = new Map();
  let bgpPlan: BgpPlan | null = null;

  // BGP sessions open once this process's own first heartbeat is in the view: its log time is "now" for the restart
  // decision, and the node is then a live member, so the first session carries the whole table before End-of-RIB.
  const beginBgp = (): boolean => {
    const self = view.planMembers.nodes[node]; // in verdicts mode: its facts' join, at the log's time
    if (bgpBegun || !opts.bgp || self?.incarnation !== incarnation) return bgpBegun;
    opts.bgp.begin(previousStop, { incarnation, now: self.lastHeardAt });
    return (bgpBegun = true);
  };

  const react = (): void => {
    if (!leaving) watch?.update();
    claimer.submit(!leaving && !fencing.fenced ? view.claimsFor(node) : []);
    answering = fencing.fenced ? NOTHING : view.answersFor(node);
    opts.announcer.update(answering);
    bgpPlan = leaving || !opts.bgp ? null : speakerBgpPlan(view, node, fencing.fenced);
    if (bgpPlan && beginBgp()) opts.bgp?.update(bgpPlan);
    opts.decisions?.decided(answering, bgpPlan);
    if (view.logCaughtUp && !configChecked) {
      configChecked = true;
      void publishConfigIfChanged();
    }
  };

  const configs = new ConfigPublisher({ js, source: opts.configSource, guard: opts.releaseGuard, log });
  const publishConfigIfChanged = (): Promise<void> => configs.check({ log: view.log, caughtUp: view.logCaughtUp });
  const configPoll = setInterval(() => {
    if (configChecked) void publishConfigIfChanged();
  }, opts.configPollMs);

  const eventsLastSeq = async (): Promise<number> => (await jsm.streams.info(STREAMS.events)).state.last_seq;
  const onEpisode = fenceReporter(js, node, incarnation, log);
  // In verdicts mode fencing and the membership prober share one probe socket (probeSocket.ts).
  const probeSocket = mode === "verdicts" ? await openProbeSocket(opts.probePort, log) : null;
  const fencing = new Fencing({ node, incarnation, view, eventsLastSeq, settings: opts.fence, port: opts.probePort, ...(probeSocket ? { socket: probeSocket } : {}), keys: opts.probeKeys, log, onChange: () => react(), onEpisode });
  await fencing.start();
  const unsubscribe = host.subscribe({
    events: (before) => {
      changes.observe(before, view.log, view.ready);
      fencing.logActivity();
      react();
    },
    heartbeats: () => {
      fencing.logActivity();
      react();
    },
  });

  // In verdicts mode the host reads no one's beats: fencing's pulse is a round trip to the server instead.
  const pulse = mode === "verdicts" ? startServerPulse(host.nc, SERVER_PULSE_MS, () => fencing.logActivity()) : null;

  const facts = startFactsPublisher({
    js, node, incarnation, version: opts.version, everyMs: 250, read: () => readInterfaceFacts(new Set(opts.excludeInterfaces)), membership: mode,
    onError: (err) => log.warn({ err }, "interfaces not published; trying again"),
  });
  const heartbeat = mode === "verdicts"
    ? startPresence({
      js, node, incarnation, version: opts.version, intervalMs: opts.membership.heartbeatIntervalMs, everyMs: PRESENCE_EVERY_MS, eventsSeq: () => view.log.seq,
      onError: (err) => log.debug({ err: err.message }, "presence not acknowledged"),
    })
    : startHeartbeats({
      js, node, incarnation, version: opts.version, intervalMs: opts.membership.heartbeatIntervalMs,
      onError: (err) => log.debug({ err: err.message }, "heartbeat not acknowledged"),
    });
  if (probeSocket) {
    watch = await startVerdictWatch({
      node, incarnation, view, js, socket: probeSocket, keys: opts.probeKeys, reachesLog: () => !fencing.fenced, mayJudge: () => !fencing.fenced && fencing.logAgeMs < opts.fence.logSilentAfterMs, localHealth: () => heartbeat.health.score, settings: opts.membership, log,
    });
  }
  const conflicts = startConflictReporter(js, node, opts.announcer, log);
  const sessionReports = !opts.bgp ? null : startBgpSessionsPublisher({
    js, node, incarnation, announcer: opts.bgp, plan: () => bgpPlan, pollMs: DEFAULT_SESSION_REPORT_POLL_MS, windowMs: DEFAULT_SESSION_REPORT_WINDOW_MS,
    onError: (err) => log.warn({ err }, "BGP session states not published; trying again"),
  });
  if (opts.monitor) {
    const { monitorSpeaker } = await import("./speakerMonitor.js"); // prom-client only in processes that serve metrics
    const metrics = { node, view, fencing, announcer: opts.announcer, ...(opts.bgp ? { bgp: opts.bgp } : {}), claims: claimer.results, failovers: changes.failovers, answering: () => answering, bgpPlan: () => bgpPlan, healthScore: () => heartbeat.health.score, memberProbes: () => watch?.prober.counters ?? null };
    monitorSpeaker(opts.monitor, health, { host, changes, configOutcomes: configs.outcomes, metrics });
  }
  log.info({ incarnation, fromSeq: host.fromSeq, membership: mode }, "speaker started");
  react();

  await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));

  leaving = true;
  clearInterval(configPoll);
  sessionReports?.stop(); // the sessions closing now are the leave's doing, not news
  // Routers move traffic away (or keep it, restarting) first; the Cease says why (RFC 9003).
  const restarting = opts.onSigterm === "restart";
  await opts.bgp?.close({ restart: restarting, reason: restarting ? "vipmesh: speaker restarting in place" : "vipmesh: node draining" });
  if (opts.onSigterm === "restart") {
    log.info({ graceMs: opts.restartGraceMs }, "restarting in place: VIPs stay with this node");
    const announced = await publishEvent(js, subjects.nodeLifecycle(node), { type: "NodeRestarting", data: { node, incarnation, graceMs: opts.restartGraceMs } });
    if (!announced.ok) log.warn({ err: announced.error }, "restart not published; others will notice by silence");
  } else {
    log.info("leaving: handing over");
    const left = await publishEvent(js, subjects.nodeLifecycle(node), { type: "NodeLeft", data: { node, incarnation, reason: "shutdown" } });
    if (!left.ok) log.warn({ err: left.error }, "leave not published; others will notice by silence");
    await waitForHandover(view, node, opts, left.ok);
  }
  heartbeat.stop();
  pulse?.stop();
  facts.stop();
  conflicts.stop();
  await opts.announcer.close();
  await fencing.stop();
  await watch?.stop();
  await probeSocket?.close();
  unsubscribe();
  if (!opts.host) await host.close();
  health.close();
  log.info("speaker stopped");
}

const NOTHING: AnswerSet = new Map();

/** The speaker's own log host when its process gives it none (tests, the lab's speakers run it so too). */
function openSpeakerHost(opts: SpeakerOptions, signal: AbortSignal): Promise<LogHost<SpeakerView> | null> {
  return LogHost.open(speakerHostOptions(opts), signal);
}

/** The log host of a speaker process: the speaker's snapshot key, both streams, the speaker's view. */
export function speakerHostOptions(opts: Pick<SpeakerOptions, "node" | "natsServers" | "natsSecurity" | "streams" | "membership" | "membershipMode" | "snapshotEveryEvents" | "log">): LogHostOptions<SpeakerView> {
  const { log } = opts;
  return {
    name: `vipmesh-speaker-${opts.node}`, natsServers: opts.natsServers, ...(opts.natsSecurity ? { natsSecurity: opts.natsSecurity } : {}), streams: opts.streams,
    // In verdicts mode nobody reads every node's beats (design.md, "Membership: watchers and verdicts").
    snapshotKey: "speaker", snapshotEveryEvents: opts.snapshotEveryEvents, heartbeats: (opts.membershipMode ?? "heartbeats") === "heartbeats", log,
    makeView: (start) => new SpeakerView(opts.membership, (i) => log.warn({ invalid: i.reason, detail: i.detail, seq: i.meta.seq, subject: i.meta.subject }, "skipped invalid message"), start, opts.membershipMode ?? "heartbeats"),
  };
}

/** Waits until every VIP this node answers that another node could take has been claimed away, or the timeout. */
async function waitForHandover(view: SpeakerView, node: string, opts: SpeakerOptions, leavePublished: boolean): Promise<void> {
  if (!leavePublished) return;
  const deadline = Date.now() + opts.handoverTimeoutMs;
  while (Date.now() < deadline) {
    const answering = view.answersFor(node);
    const takers = new Set(planClaims(view.log, view.planMembers, opts.membership).map((c) => c.vip));
    const pending = [...answering.keys()].filter((vip) => takers.has(vip));
    if (pending.length === 0) return;
    await new Promise((r) => setTimeout(r, 10));
  }
  opts.log.warn({ timeoutMs: opts.handoverTimeoutMs }, "handover timed out");
}
