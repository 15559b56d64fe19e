import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { connectNats, DEFAULT_PING_INTERVAL_MS } from "../../adapters/nats/connect.js";
import { ensureStreams, type StreamSettings } from "../../adapters/nats/streams.js";
import { ConfigError } from "../../config/parseManifests.js";
import { recordEvent } from "../events.js";
import { ConfigurationStateWriter, type ConfigurationStateRef } from "./configurationState.js";
import { deprecationMessage, legacyAnnotations } from "./deprecations.js";
import { publishIfNewer } from "./guardedPublisher.js";
import { isLoadBalancer, KubeSource, NotSyncedError } from "./kubeSource.js";
import type { KubeCredentials } from "../credentials.js";

// The ingest agent: Kubernetes objects -> ClusterConfig -> ConfigApplied on the log. Any number may run (speakers,
// controllers): each publishes only a complete view that is newer in every kind than the logged one (see
// guardedPublisher.ts). An invalid configuration is reported (log, ConfigurationState) and the last good one keeps
// serving.

export type IngestOptions = {
  kc: KubeCredentials;
  natsServers: string[];
  streams: StreamSettings;
  /** Where the metallb.io objects live. */
  namespace: string;
  /** Where this agent reports validity; null: nowhere but its log. */
  state: ConfigurationStateRef | null;
  /** How often the view is checked against the log even without a Kubernetes change (lost races, outages). */
  recheckMs: number;
  log: Logger;
};

const RELIST_AT_MOST_EVERY_MS = 5_000;

class IngestLoop {
  private running = false;
  private again = false;
  private lastProblem = "";
  private lastRelist = 0;
  private readonly deprecated = new Set<string>();
  private readonly state: ConfigurationStateWriter | null;

  constructor(
    readonly source: KubeSource,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly opts: IngestOptions,
  ) {
    this.state = opts.state ? new ConfigurationStateWriter(opts.kc, opts.state) : null;
  }

  schedule(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    setImmediate(() =>
      void this.check()
        .catch((err: unknown) => this.opts.log.error({ err: (err as Error).message }, "configuration check failed; retrying"))
        .finally(() => this.done()),
    );
  }

  private done(): void {
    this.running = false;
    if (this.again) {
      this.again = false;
      this.schedule();
    }
  }

  private async check(): Promise<void> {
    const { log } = this.opts;
    let built;
    try {
      built = this.source.build();
    } catch (err) {
      if (err instanceof NotSyncedError) return;
      if (!(err instanceof ConfigError)) throw err;
      this.report(err.problems);
      return;
    }
    this.report([]);
    this.announceDeprecations();
    const outcome = await publishIfNewer(this.js, this.jsm, built);
    if (outcome.kind === "published") log.info({ hash: outcome.hash, seq: outcome.seq }, "published configuration from Kubernetes");
    else if (outcome.kind === "conflict") this.again = true;
    else if (outcome.kind === "failed") log.warn({ err: outcome.error }, "configuration not published; retrying");
    else if (outcome.kind === "stale") this.catchUp(outcome.lagging);
  }

  private catchUp(lagging: number[]): void {
    const now = performance.now();
    if (now - this.lastRelist < RELIST_AT_MOST_EVERY_MS) return;
    this.lastRelist = now;
    for (const i of lagging) this.source.informers[i]?.relist();
  }

  private report(problems: string[]): void {
    const text = problems.join("; ");
    if (text !== this.lastProblem && problems.length > 0) this.opts.log.error({ problems }, "Kubernetes configuration rejected; the last good configuration keeps serving");
    this.lastProblem = text;
    void this.state?.report(problems).catch((err: unknown) => this.opts.log.warn({ err: (err as Error).message }, "ConfigurationState not written"));
  }

  private announceDeprecations(): void {
    for (const svc of this.source.informers[0]?.store.values() ?? []) {
      const keys = legacyAnnotations(svc);
      const id = `${svc.metadata.uid ?? ""}|${keys.join(",")}`;
      if (keys.length === 0 || !isLoadBalancer(svc) || this.deprecated.has(id)) continue;
      this.deprecated.add(id);
      const spec = { reason: "DeprecatedAnnotation", message: deprecationMessage(keys), type: "Warning", component: "vipmesh-ingest", transition: keys.join(",") } as const;
      void recordEvent(this.opts.kc, svc, spec).catch(() => this.deprecated.delete(id));
    }
  }
}

/** Runs the ingest agent until `signal` aborts. */
export async function runKubeIngest(opts: IngestOptions, signal: AbortSignal): Promise<void> {
  const nc = await connectNats({ servers: opts.natsServers, name: "vipmesh-ingest", pingIntervalMs: DEFAULT_PING_INTERVAL_MS });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, opts.streams);
  let loop: IngestLoop | null = null;
  const source = new KubeSource(opts.kc, opts.namespace, () => loop?.schedule(), opts.log);
  loop = new IngestLoop(source, js, jsm, opts);
  const recheck = setInterval(() => loop.schedule(), opts.recheckMs);
  opts.log.info({ namespace: opts.namespace }, "watching Kubernetes for configuration");
  try {
    await source.run(signal);
  } finally {
    clearInterval(recheck);
    await nc.drain().catch(() => undefined);
  }
}
