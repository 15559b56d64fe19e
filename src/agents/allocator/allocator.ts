import type { Logger } from "pino";
import { unfrozenImmer } from "../../projections/batch.js";
import { LogHost, type LogHostOptions } from "../host/logHost.js";
import { LogView } from "../host/logView.js";
import type { NatsClientSecurity } from "../../adapters/nats/security.js";
import type { StreamSettings } from "../../adapters/nats/streams.js";
import { heldServices } from "../../projections/ipam/state.js";
import type { ConfigSource } from "../speaker/configSource.js";
import { ConfigPublisher } from "../config/configPublisher.js";
import type { ReleaseGuardSettings } from "../../projections/ipam/releaseGuard.js";
import { ClaimPublisher } from "./publisher.js";
import { StatusReporter } from "./reporter.js";
import { AllocatorView } from "./view.js";
import { DEFAULT_MEMBERSHIP_SETTINGS, type MembershipSettings } from "../../projections/settings.js";
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
  /** The process's log host, being opened (the process closes it); without, the allocator opens and closes its own. */
  host?: Promise<LogHost | null>;
};

type Parts = { view: AllocatorView; publisher: ClaimPublisher; configs: ConfigPublisher };

/** Plans after each batch (at most once per turn of the event loop), only at the head of the log. */
class PlanLoop {
  private scheduled = false;
  private atHeadOnce = false;
  private stopped = false;
  private lastPlanned: unknown = null;
  private readonly reporter: StatusReporter;

  constructor(
    private readonly parts: Parts,
    private readonly opts: AllocatorOptions,
  ) {
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
  }
}

const configView = (view: AllocatorView) => ({ log: view.log, caughtUp: view.atHead });

function waitForAbort(signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));
}

/**
 * The log host of an allocator process: the allocator's snapshot key, EVENTS (and HEARTBEATS when a status writer in
 * the process needs membership), batches applied without freezing (measured, npm run bench -- ipam: 40% less per
 * burst of claims).
 */
export function allocatorHostOptions(o: { name: string; natsServers: string[]; natsSecurity?: AllocatorOptions["natsSecurity"]; streams: AllocatorOptions["streams"]; snapshotEveryEvents: number; heartbeats: boolean; membership: MembershipSettings; log: Logger }): LogHostOptions {
  const { log } = o;
  return {
    name: o.name, natsServers: o.natsServers, ...(o.natsSecurity ? { natsSecurity: o.natsSecurity } : {}), streams: o.streams,
    snapshotKey: "allocator", snapshotEveryEvents: o.snapshotEveryEvents, heartbeats: o.heartbeats, log,
    makeView: (start) => new LogView(o.membership, (i) => log.warn({ invalid: i.reason, detail: i.detail, seq: i.meta.seq, subject: i.meta.subject }, "skipped invalid message"), start, unfrozenImmer),
  };
}

/**
 * Runs one allocator replica until `signal` aborts. Any number may run: each replays EVENTS, plans the same
 * claims from the same log, and publishes them with compare-and-set, so exactly one of racing replicas wins.
 */
export async function runAllocator(opts: AllocatorOptions, signal: AbortSignal): Promise<void> {
  const { log } = opts;
  const health = new PartHealth(opts.monitor, "allocator", signal);
  const host = await (opts.host ?? LogHost.open(allocatorHostOptions({ ...opts, name: `vipmesh-allocator-${opts.id}`, heartbeats: false, membership: DEFAULT_MEMBERSHIP_SETTINGS }), signal));
  if (!host) return health.close();
  const parts: Parts = {
    view: new AllocatorView(host.view, { lbClass: opts.lbClass }),
    publisher: new ClaimPublisher(host.js, log, opts.maxInFlight),
    configs: new ConfigPublisher({ js: host.js, source: opts.configSource, guard: opts.releaseGuard, log }),
  };
  const loop = new PlanLoop(parts, opts);
  const changes = new LogChanges();
  const unsubscribe = host.subscribe({
    events: (before) => {
      changes.observe(before, parts.view.log, loop.started);
      loop.schedule();
    },
  });
  const replan = setInterval(() => loop.schedule(), opts.replanMs);
  const configPoll = setInterval(() => void (loop.started && parts.configs.check(configView(parts.view))), opts.configPollMs);
  if (opts.monitor) {
    const { monitorAllocator } = await import("./allocatorMonitor.js"); // prom-client only in processes that serve metrics
    const monitored = { host, view: parts.view, caughtUp: () => loop.started, changes, claims: parts.publisher.stats, configOutcomes: parts.configs.outcomes };
    monitorAllocator(opts.monitor, health, monitored);
  }
  log.info({ lbClass: opts.lbClass, fromSeq: host.fromSeq, from: host.from }, "allocator started");
  loop.schedule();

  await waitForAbort(signal);
  loop.stop();
  unsubscribe();
  clearInterval(replan);
  clearInterval(configPoll);
  await parts.publisher.drain(2_000);
  if (!opts.host) await host.close();
  health.close();
  log.info({ ...parts.publisher.stats, invalid: parts.view.invalid }, "allocator stopped");
}
