import type { JetStreamClient } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { ChangePacing, publishConfigChange, sourceOnLog } from "../../adapters/nats/configChange.js";
import { ConfigError } from "../../config/parseManifests.js";
import { describeHeldChange, guardConfigChange, type ReleaseGuardSettings } from "../../projections/ipam/releaseGuard.js";
import type { LogState } from "../../projections/logState.js";
import type { ConfigSource, SourcedConfig } from "../speaker/configSource.js";
import { Reminder } from "./reminder.js";
import { servingNotice } from "../../config/servingNotice.js";

// Publishes a configuration source (the --config file) when its objects differ from the source's on the log, as
// per-object events. Any number of agents (speakers, allocators) do this at once: each change is a chain of
// compare-and-set publications (adapters/nats/configChange.ts). A source that cannot be read or is invalid is
// reported, and the last good configuration keeps serving; a process that never had one says it is waiting.

/** How often a process without a configuration says it is still waiting. */
export const WAITING_REMINDER_MS = 60_000;

/**
 * What the publisher needs of the caller's projection: the source's objects on the log (the base of a change), the
 * allocations, and the configuration in force (from any source). A change is judged against what serves, not only
 * against this source's last one. `caughtUp`: the projection has read the log up to its head (else nothing is
 * decided).
 */
export type ConfigView = { log: LogState; caughtUp: boolean };

export type ConfigPublisherOptions = {
  js: JetStreamClient;
  /** null: this process publishes no configuration; it only says when there is none to serve. */
  source: ConfigSource | null;
  guard: ReleaseGuardSettings;
  log: Logger;
};

export class ConfigPublisher {
  private readonly rejected = new Reminder(Number.POSITIVE_INFINITY);
  private readonly waiting = new Reminder(WAITING_REMINDER_MS);
  private readonly held = new Set<string>();
  private readonly pacing = new ChangePacing();
  private running = false;
  /** Changes published, and refused ones (each distinct problem or held change once). */
  readonly outcomes = { published: 0, invalid: 0, unreadable: 0, held: 0 };

  constructor(private readonly opts: ConfigPublisherOptions) {}

  /** Reads the source and publishes it if it changed; never throws. A check while one runs is skipped. */
  async check(view: ConfigView): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      await this.checkOnce(view);
    } finally {
      this.running = false;
    }
  }

  private async checkOnce(view: ConfigView): Promise<void> {
    const { source } = this.opts;
    if (!source) return this.reportNoSource(view);
    let read: SourcedConfig;
    try {
      read = await source.read();
    } catch (err) {
      return this.reportUnreadable(err as Error, view);
    }
    this.rejected.clear();
    this.waiting.clear();
    await this.publishIfChanged(source, read, view);
  }

  /** Publishes the change, holds it, or leaves it to the next check (a lost race, a projection still reading on). */
  private async publishIfChanged(source: ConfigSource, read: SourcedConfig, view: ConfigView): Promise<void> {
    const { log } = this.opts;
    if (!view.caughtUp) return;
    const last = sourceOnLog(view.log, source.name);
    if (last.hash === read.hash || this.pacing.wait(last, Date.now()) !== null) return;
    if (this.pacing.refused(read.hash, last)) {
      if (this.rejected.due(`refused ${read.hash}`, Date.now())) log.error({ file: source.where, hash: read.hash }, "configuration published but refused by the log's projection (vipmesh replay shows why); not published again until the file changes");
      return;
    }
    const decision = guardConfigChange(view.log.ipam, view.log.config?.config ?? null, read.config, this.opts.guard, read.removesEverything);
    if (decision.kind === "hold") {
      if (!this.held.has(read.hash)) this.outcomes.held++;
      if (!this.held.has(read.hash)) log.error({ file: source.where, hash: read.hash, ...describeHeldChange(decision) }, "configuration change held: it would release more allocations than --max-release-share allows; nothing released (fix the file, or run one agent with --max-release-share 100 to apply it)");
      this.held.add(read.hash);
      return;
    }
    this.held.clear();
    const result = await publishConfigChange(this.opts.js, source.name, last, read.config, read.hash, read.hash);
    if (result.kind === "published") {
      this.pacing.published(result.seq, { hash: read.hash, before: last.hash });
      this.outcomes.published++;
      log.info({ hash: read.hash, seq: result.seq, after: last.chainSeq, objects: result.objects, bytes: result.bytes, releases: decision.releases, removesEverything: read.removesEverything }, "published configuration");
    } else if (result.kind === "conflict") this.pacing.lostRace(last);
    else if (result.kind === "too-large") log.error({ file: source.where, err: result.error }, "configuration not published: an object is too large for one event");
    else if (result.kind === "failed") log.warn({ err: result.error, objectsPublished: result.published }, "configuration not published; retrying at the next check");
    // A lost race is decided again at the next check, from the projection that has read the winner's change.
  }

  private reportUnreadable(err: Error, view: ConfigView): void {
    const problem = err instanceof ConfigError ? err.problems.join("; ") : err.message;
    // Once per problem while a good configuration serves; again every minute while the process has none at all.
    const serving = view.log.config !== null;
    if (!(serving ? this.rejected : this.waiting).due(problem, Date.now())) return;
    this.outcomes[err instanceof ConfigError ? "invalid" : "unreadable"]++;
    const what = err instanceof ConfigError ? "configuration rejected" : err.message;
    const outcome = servingNotice(serving);
    const fields = { file: this.opts.source?.where, err: err.message, ...(err instanceof ConfigError ? { problems: err.problems } : { code: (err as { code?: unknown }).code }) };
    this.opts.log.error(fields, `${what}; ${outcome}`);
  }

  private reportNoSource(view: ConfigView): void {
    if (view.log.config) return this.waiting.clear();
    if (this.waiting.due("no configuration", Date.now())) {
      this.opts.log.warn({}, "waiting for a configuration: none is on the log yet (this process has no --config; another agent with --config, or the Kubernetes ingest, publishes it)");
    }
  }
}
