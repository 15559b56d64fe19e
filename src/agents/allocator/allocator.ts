import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { closeNats, connectUnlessStopped, DEFAULT_PING_INTERVAL_MS, settledWithin } from "../../adapters/nats/connect.js";
import type { NatsClientSecurity } from "../../adapters/nats/security.js";
import { followStream, type Follower } from "../../adapters/nats/follow.js";
import { SnapshotStore } from "../../adapters/nats/snapshots.js";
import type { StreamSettings } from "../../adapters/nats/streams.js";
import { openGuardedLog } from "../../adapters/nats/logGuard.js";
import { STREAMS } from "../../events/types.js";
import { heldServices } from "../../projections/ipam/state.js";
import type { ConfigSource } from "../speaker/configSource.js";
import { resolveStart } from "../host/startPoint.js";
import { SnapshotAudit } from "../snapshotAudit.js";
import { ConfigPublisher } from "../config/configPublisher.js";
import type { ReleaseGuardSettings } from "../../projections/ipam/releaseGuard.js";
import { ClaimPublisher } from "./publisher.js";
import { StatusReporter } from "./reporter.js";
import { AllocatorView } from "./view.js";
import type { AgentMonitor } from "../health/monitor.js";
import { PartHealth } from "../health/partHealth.js";
import { LogChanges } from "../health/logChanges.js";

export type AllocatorOptions = {
  /** Names this replica in the evidence of its claims. */
  id: string;
  natsServers: string[];
  /** Credentials and TLS for NATS (src/adapters/nats/security.ts); anonymous without. */
  natsSecurity?: NatsClientSecurity;
  configSource: ConfigSource | null;
  /** The loadBalancerClass this allocator answers to; null: Services without a class (MetalLB's default). */
  lbClass: string | null;
  streams: StreamSettings;
  /** Claims in flight at once. */
  maxInFlight: number;
  /** How often the plan is recomputed even when the log is quiet (retries of claims that failed to publish). */
  replanMs: number;
  configPollMs: number;
  /** The guard on configuration changes this allocator publishes from `configSource`. */
  releaseGuard: ReleaseGuardSettings;
  snapshotEveryEvents: number;
  log: Logger;
  /** The process's health and metrics (/healthz, /readyz, /metrics); none in tests that do not scrape. */
  monitor?: AgentMonitor;
};

type Parts = { view: AllocatorView; publisher: ClaimPublisher; snapshots: SnapshotStore; configs: ConfigPublisher };

/** Plans after each batch (at most once per turn of the event loop), only at the head of the log. */
class PlanLoop {
  private scheduled = false;
  private atHeadOnce = false;
  private stopped = false;
  private lastSnapshotSeq: number;
  private lastPlanned: unknown = null;
  private readonly reporter: StatusReporter;

  constructor(
    private readonly parts: Parts,
    private readonly opts: AllocatorOptions,
  ) {
    this.lastSnapshotSeq = parts.view.log.seq;
    this.reporter = new StatusReporter(opts.log);
  }

  get started(): boolean {
    return this.atHeadOnce;
  }

  schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => this.plan());
  }

  stop(): void {
    this.stopped = true;
  }

  private plan(): void {
    this.scheduled = false;
    const { view, publisher, configs } = this.parts;
    // A plan is a function of the log: with nothing new on it and nothing to resend, it would say the same.
    if (view.log === this.lastPlanned && !publisher.takeRetry()) return;
    const p = this.stopped ? null : view.plan();
    if (!p) return;
    this.lastPlanned = view.log;
    if (!this.atHeadOnce) {
      this.atHeadOnce = true;
      this.opts.log.info({ seq: view.log.seq, allocations: [...heldServices(view.log.ipam)].length }, "caught up with the log; allocating");
      void configs.check(configView(view));
    }
    const ctx = { allocator: this.opts.id, configHash: view.log.config?.hash ?? null, observedSeq: view.log.seq, lbClass: this.opts.lbClass };
    publisher.submit(p.actions, view.log.ipam, ctx);
    this.reporter.update(p, view.log);
    this.maybeSnapshot();
  }

  private maybeSnapshot(): void {
    const { view, snapshots } = this.parts;
    if (view.log.seq - this.lastSnapshotSeq < this.opts.snapshotEveryEvents) return;
    this.lastSnapshotSeq = view.log.seq;
    void snapshots.save(view.log, true).catch((err: unknown) => this.opts.log.warn({ err }, "snapshot not saved"));
  }
}

const configView = (view: AllocatorView) => ({ log: view.log, caughtUp: view.atHead });

function waitForAbort(signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));
}

async function openLog(opts: AllocatorOptions, signal: AbortSignal) {
  const nc = await connectUnlessStopped({ servers: opts.natsServers, ...(opts.natsSecurity ? { security: opts.natsSecurity } : {}), name: `vipmesh-allocator-${opts.id}`, pingIntervalMs: DEFAULT_PING_INTERVAL_MS, log: opts.log, signal });
  if (!nc) return null;
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  if (!(await openGuardedLog(nc, jsm, opts.streams, opts.log, signal))) {
    await nc.close();
    return null;
  }
  const snapshots = await SnapshotStore.open(nc, "allocator");
  return { nc, js, jsm, snapshots, start: await resolveStart(jsm, snapshots, opts.log) };
}

/**
 * Runs one allocator replica until `signal` aborts. Any number may run: each replays EVENTS, plans the same
 * claims from the same log, and publishes them with compare-and-set, so exactly one of racing replicas wins.
 */
export async function runAllocator(opts: AllocatorOptions, signal: AbortSignal): Promise<void> {
  const { log } = opts;
  const health = new PartHealth(opts.monitor, "allocator", signal);
  const opened = await openLog(opts, signal);
  if (!opened) return health.close();
  const { nc, js, jsm, snapshots, start } = opened;
  const onInvalid = (i: { reason: string; detail: string; meta: { seq: number; subject: string } }): void =>
    log.warn({ invalid: i.reason, detail: i.detail, seq: i.meta.seq, subject: i.meta.subject }, "skipped invalid message");
  const parts: Parts = {
    view: new AllocatorView(start.state, { lbClass: opts.lbClass }, onInvalid),
    publisher: new ClaimPublisher(js, log, opts.maxInFlight),
    snapshots,
    configs: new ConfigPublisher({ js, source: opts.configSource, guard: opts.releaseGuard, log }),
  };
  const loop = new PlanLoop(parts, opts);
  const audit = new SnapshotAudit({
    nc, log, state: { get: () => parts.view.log, set: (s) => void (parts.view.log = s) }, caughtUp: () => loop.started, fromSnapshot: start.from === "snapshot",
    onRebuilt: () => loop.schedule(), store: snapshots,
  });
  const abortFollow = new AbortController();
  const changes = new LogChanges();
  const events: Follower = await followStream({
    nc, js, jsm, stream: STREAMS.events, start: { seq: start.state.seq + 1 }, maxBatch: 1_000, signal: abortFollow.signal,
    onBatch: (batch, caughtUp) => {
      const before = parts.view.log;
      parts.view.apply(batch, caughtUp);
      changes.observe(before, parts.view.log, loop.started);
      loop.schedule();
    },
  });
  if (events.initiallyCaughtUp) parts.view.atHead = true;
  const replan = setInterval(() => loop.schedule(), opts.replanMs);
  const configPoll = setInterval(() => void (loop.started && parts.configs.check(configView(parts.view))), opts.configPollMs);
  if (opts.monitor) {
    const { monitorAllocator } = await import("./allocatorMonitor.js"); // prom-client only in processes that serve metrics
    const monitored = { nc, jsm, events, view: parts.view, caughtUp: () => loop.started, changes, claims: parts.publisher.stats, configOutcomes: parts.configs.outcomes, audit };
    monitorAllocator(opts.monitor, health, monitored);
  }
  log.info({ lbClass: opts.lbClass, fromSeq: start.state.seq, from: start.from }, "allocator started");
  loop.schedule();

  await waitForAbort(signal);
  loop.stop();
  await audit.stop();
  clearInterval(replan);
  clearInterval(configPoll);
  await parts.publisher.drain(2_000);
  if (parts.view.atHead) await settledWithin(snapshots.save(parts.view.log, true), 1_000);
  abortFollow.abort();
  await closeNats(nc);
  await events.done.catch(() => undefined);
  health.close();
  log.info({ ...parts.publisher.stats, invalid: parts.view.invalid }, "allocator stopped");
}
