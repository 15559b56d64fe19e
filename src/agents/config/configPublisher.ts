import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { loggedConfig, publishConfigAfter } from "../../adapters/nats/loggedConfig.js";
import { ConfigError } from "../../config/parseManifests.js";
import { describeHeldChange, guardConfigChange, type ReleaseGuardSettings } from "../../projections/ipam/releaseGuard.js";
import type { IpamState } from "../../projections/ipam/state.js";
import type { ClusterConfig } from "../../config/types.js";
import type { ConfigSource, SourcedConfig } from "../speaker/configSource.js";
import { Reminder } from "./reminder.js";
import { servingNotice } from "../../config/servingNotice.js";

// Publishes a configuration source (the --config file) when its content differs from the source's last
// configuration on the log. Any number of agents (speakers, allocators) do this at once: each publication is a
// compare-and-set transition (adapters/nats/loggedConfig.ts). A source that cannot be read or is invalid is
// reported, and the last good configuration keeps serving; a process that never had one says it is waiting.

/** How often a process without a configuration says it is still waiting. */
export const WAITING_REMINDER_MS = 60_000;
const RACE_RETRIES = 3;

/**
 * What the publisher needs of the caller's projection: the allocations, and the configuration in force (from any
 * source; null: none yet). A change is judged against what serves, not only against this source's last one.
 */
export type ConfigView = { ipam: IpamState; config: ClusterConfig | null };

export type ConfigPublisherOptions = {
  js: JetStreamClient;
  jsm: JetStreamManager;
  /** null: this process publishes no configuration; it only says when there is none to serve. */
  source: ConfigSource | null;
  guard: ReleaseGuardSettings;
  log: Logger;
};

export class ConfigPublisher {
  private readonly rejected = new Reminder(Number.POSITIVE_INFINITY);
  private readonly waiting = new Reminder(WAITING_REMINDER_MS);
  private readonly held = new Set<string>();
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
    for (let attempt = 0; attempt < RACE_RETRIES; attempt++) {
      if (!(await this.publishIfChanged(source, read, view))) return;
    }
  }

  /** One attempt; true when a racing publisher changed the log first and the decision must be made again. */
  private async publishIfChanged(source: ConfigSource, read: SourcedConfig, view: ConfigView): Promise<boolean> {
    const { log } = this.opts;
    let last;
    try {
      last = await loggedConfig(this.opts.jsm, source.name);
    } catch (err) {
      log.warn({ err: (err as Error).message }, "the logged configuration could not be read; retrying at the next check");
      return false;
    }
    if (last.hash === read.hash) return false;
    const decision = guardConfigChange(view.ipam, view.config, read.config, this.opts.guard, read.removesEverything);
    if (decision.kind === "hold") {
      if (!this.held.has(read.hash)) this.outcomes.held++;
      if (!this.held.has(read.hash)) log.error({ file: source.where, hash: read.hash, ...describeHeldChange(decision) }, "configuration change held: it would release more allocations than --max-release-share allows; nothing released (fix the file, or run one agent with --max-release-share 100 to apply it)");
      this.held.add(read.hash);
      return false;
    }
    this.held.clear();
    const result = await publishConfigAfter(this.opts.js, source.name, read.hash, read.config, last.seq);
    if (result.ok && !result.duplicate) this.outcomes.published++;
    if (result.ok && !result.duplicate) log.info({ hash: read.hash, seq: result.seq, after: last.seq, releases: decision.releases, removesEverything: read.removesEverything }, "published configuration");
    else if (!result.ok && !result.conflict) log.warn({ err: result.error }, "configuration not published; retrying at the next check");
    return !result.ok && result.conflict;
  }

  private reportUnreadable(err: Error, view: ConfigView): void {
    const problem = err instanceof ConfigError ? err.problems.join("; ") : err.message;
    // Once per problem while a good configuration serves; again every minute while the process has none at all.
    if (!(view.config ? this.rejected : this.waiting).due(problem, Date.now())) return;
    this.outcomes[err instanceof ConfigError ? "invalid" : "unreadable"]++;
    const what = err instanceof ConfigError ? "configuration rejected" : err.message;
    const outcome = servingNotice(view.config !== null);
    const fields = { file: this.opts.source?.where, err: err.message, ...(err instanceof ConfigError ? { problems: err.problems } : { code: (err as { code?: unknown }).code }) };
    this.opts.log.error(fields, `${what}; ${outcome}`);
  }

  private reportNoSource(view: ConfigView): void {
    if (view.config) return this.waiting.clear();
    if (this.waiting.due("no configuration", Date.now())) {
      this.opts.log.warn({}, "waiting for a configuration: none is on the log yet (this process has no --config; another agent with --config, or the Kubernetes ingest, publishes it)");
    }
  }
}
