import type { JetStreamClient } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { AllocatorView } from "../../agents/allocator/view.js";
import type { LogHost } from "../../agents/host/logHost.js";
import { ConfigError } from "../../config/parseManifests.js";
import { Rerunner } from "../../agents/rerunner.js";
import { recordEvent } from "../events.js";
import { ConfigurationStateWriter, type ConfigurationStateRef } from "./configurationState.js";
import { deprecationMessage, legacyAnnotations } from "./deprecations.js";
import { KUBE_SOURCE, publishIfNewer } from "./guardedPublisher.js";
import { ChangePacing, sourceOnLog } from "../../adapters/nats/configChange.js";
import { problemReferences } from "../../config/partialConfig.js";
import { isLoadBalancer, KubeSource, NotSyncedError } from "./kubeSource.js";
import type { KubeCredentials } from "../credentials.js";
import { describeHeldChange, type GuardDecision, type ReleaseGuardSettings } from "../../projections/ipam/releaseGuard.js";
import { servingNotice } from "../../config/servingNotice.js";
import type { AgentMonitor } from "../../agents/health/monitor.js";
import { PartHealth } from "../../agents/health/partHealth.js";

// The ingest agent: Kubernetes objects -> ClusterConfig -> per-object configuration events on the log. Any number
// may run (speakers, controllers): each publishes only a complete view that is newer in every kind than the logged
// one (see guardedPublisher.ts). An invalid configuration is reported (log, ConfigurationState) and the last good one
// keeps serving.

export type IngestOptions = {
  kc: KubeCredentials;
  /** The process's log host, being opened: the ingest reads the allocations (and the configuration) from its view. */
  host: Promise<LogHost | null>;
  /** Where the metallb.io objects live. */
  namespace: string;
  /** Where this agent reports validity; null: nowhere but its log. */
  state: ConfigurationStateRef | null;
  /** How often the view is checked against the log even without a Kubernetes change (lost races, outages). */
  recheckMs: number;
  /** The guard on changes that would release many allocations (held and reported, not published). */
  releaseGuard: ReleaseGuardSettings;
  log: Logger;
  /** The process's health (/readyz: connected, every informer listed, the allocations read to the head of the log). */
  monitor?: AgentMonitor;
};

const RELIST_AT_MOST_EVERY_MS = 5_000;

class IngestLoop {
  private readonly runner = new Rerunner(
    () => this.check(),
    (err) => this.opts.log.error({ err: err.message }, "configuration check failed; retrying"),
  );
  private lastProblem = "";
  private lastWarnings = "";
  private lastRelist = 0;
  private readonly deprecated = new Set<string>();
  private readonly warned = new Set<string>();
  private readonly state: ConfigurationStateWriter | null;
  private readonly held = new Set<string>();
  private readonly pacing = new ChangePacing();

  constructor(
    readonly source: KubeSource,
    private readonly allocations: AllocatorView,
    private readonly js: JetStreamClient,
    private readonly opts: IngestOptions,
  ) {
    this.state = opts.state ? new ConfigurationStateWriter(opts.kc, opts.state) : null;
  }

  schedule(): void {
    this.runner.schedule();
  }

  private async check(): Promise<void> {
    const { log } = this.opts;
    // A change is judged against every allocation already made: wait for the head of the log.
    if (!this.source.synced || !this.allocations.atHead) return;
    const last = sourceOnLog(this.allocations.log, KUBE_SOURCE);
    // Once the projection has read this replica's last change (and no other replica's is half written) it decides again.
    if (this.pacing.wait(last, Date.now()) !== null) return;
    let built;
    try {
      built = this.source.build(last.config);
    } catch (err) {
      if (err instanceof NotSyncedError) return;
      if (!(err instanceof ConfigError)) throw err;
      this.report(err.problems, null, this.allocations.log.config !== null);
      return;
    }
    this.report(built.problems, built.ignored, true);
    this.reportWarnings(built.warnings);
    this.announceDeprecations();
    // Compared by content: the revisions move with every watched change.
    if (this.pacing.refused(built.contentHash, last)) {
      this.reportRefused(built.contentHash);
      return;
    }
    const guard = { ipam: this.allocations.log.ipam, current: this.allocations.log.config?.config ?? null, settings: this.opts.releaseGuard };
    const outcome = await publishIfNewer(this.js, built, last, guard);
    if (outcome.kind !== "held") this.held.clear();
    if (outcome.kind === "published") this.pacing.published(outcome.seq, { hash: built.contentHash, before: last.hash });
    if (outcome.kind === "published") log.info({ hash: outcome.hash, seq: outcome.seq, objects: outcome.objects, bytes: outcome.bytes, ignored: built.ignored }, "published configuration from Kubernetes");
    else if (outcome.kind === "held") this.reportHeld(built.contentHash, outcome.decision);
    else if (outcome.kind === "conflict") this.pacing.lostRace(last);
    else if (outcome.kind === "failed") log.warn({ err: outcome.error }, "configuration not published; retrying");
    else if (outcome.kind === "stale") this.catchUp(outcome.lagging);
  }

  private reportRefused(contentHash: string): void {
    if (this.held.has(`refused ${contentHash}`)) return;
    this.held.add(`refused ${contentHash}`);
    this.opts.log.error({ contentHash }, "Kubernetes configuration published but refused by the log's projection (vipmesh replay shows why); not published again until the objects change");
  }

  private reportHeld(contentHash: string, decision: Extract<GuardDecision, { kind: "hold" }>): void {
    if (this.held.has(contentHash)) return;
    this.held.add(contentHash);
    this.opts.log.error({ ...describeHeldChange(decision) }, "Kubernetes configuration change held: it would release more allocations than --max-release-share allows; nothing released (run one controller with --max-release-share 100 to apply it)");
  }

  private catchUp(lagging: number[]): void {
    const now = performance.now();
    if (now - this.lastRelist < RELIST_AT_MOST_EVERY_MS) return;
    this.lastRelist = now;
    for (const i of lagging) this.source.informers[i]?.relist();
  }

  /** What `vipmesh validate` warns about (nothing is left out for it), logged when it changes. */
  private reportWarnings(warnings: string[]): void {
    const text = warnings.join("; ");
    if (text !== this.lastWarnings && warnings.length > 0) this.opts.log.warn({ warnings }, "Kubernetes configuration applies with warnings");
    this.lastWarnings = text;
  }

  /**
   * ignored: the objects left out (their last good form serves); null: the whole configuration was refused, and
   * `serving` says whether any configuration is on the log to keep serving.
   */
  private report(problems: string[], ignored: string[] | null, serving: boolean): void {
    const text = `${problems.join("; ")}|${ignored?.join(",") ?? "*"}`;
    if (text !== this.lastProblem && problems.length > 0) {
      if (ignored) this.opts.log.error({ problems, ignored }, "Kubernetes objects ignored for problems; their last good form keeps serving");
      else this.opts.log.error({ problems }, `Kubernetes configuration rejected; ${servingNotice(serving)}`);
    }
    this.lastProblem = text;
    void this.state?.report(problems, ignored, serving).catch((err: unknown) => this.opts.log.warn({ err: (err as Error).message }, "ConfigurationState not written"));
    void this.problemEvents(problems, ignored ?? []);
  }

  /**
   * A Warning event for each problem, on the object it made vipmesh ignore (else the object it is about), once per
   * distinct problem; event names are deterministic, so replicas do not duplicate them.
   */
  private async problemEvents(problems: readonly string[], ignored: readonly string[]): Promise<void> {
    const left = ignored.flatMap((name) => problemReferences(name).slice(0, 1));
    for (const text of problems) {
      const refs = problemReferences(text);
      const ref = refs.find((r) => left.some((l) => l.kind === r.kind && l.name === r.name)) ?? refs[0];
      if (!ref || this.warned.has(text)) continue;
      const obj = this.source.find(ref.kind, ref.namespace, ref.name);
      if (!obj) continue;
      this.warned.add(text);
      const spec = { reason: "InvalidConfiguration", message: text, type: "Warning", component: "vipmesh-ingest", transition: text } as const;
      await recordEvent(this.opts.kc, obj, spec).catch((err: unknown) => {
        this.warned.delete(text);
        this.opts.log.warn({ err: (err as Error).message }, "configuration problem event not recorded");
      });
    }
    for (const text of this.warned) if (!problems.includes(text)) this.warned.delete(text);
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

/** Runs the ingest agent until `signal` aborts: a reactor on the process's log host. */
export async function runKubeIngest(opts: IngestOptions, signal: AbortSignal): Promise<void> {
  const health = new PartHealth(opts.monitor, "ingest", signal);
  const host = await opts.host;
  if (!host) return health.close();
  // The allocations a new configuration would release: judged only at the head of the log.
  const allocations = new AllocatorView(host.view, { lbClass: null });
  let loop: IngestLoop | null = null;
  const source = new KubeSource(opts.kc, opts.namespace, () => loop?.schedule(), opts.log);
  loop = new IngestLoop(source, allocations, host.js, opts);
  const unsubscribe = host.subscribe({ events: () => loop.schedule() });
  let listed = false;
  host.report(health, () => (listed ||= source.synced && allocations.atHead));
  const recheck = setInterval(() => loop.schedule(), opts.recheckMs);
  opts.log.info({ namespace: opts.namespace }, "watching Kubernetes for configuration");
  try {
    await source.run(signal);
  } finally {
    clearInterval(recheck);
    unsubscribe();
    health.close();
  }
}
