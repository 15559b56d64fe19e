import type { JetStreamClient } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { publishEvent } from "../../adapters/nats/publish.js";
import { subjects } from "../../events/subjects.js";
import type { ConfigSource } from "../speaker/configSource.js";

/**
 * Publishes the configuration source when its content differs from what the log holds; an invalid source is
 * reported once and the last good configuration keeps serving. Any number of agents may do this: the message
 * id (the content hash) makes JetStream drop duplicates.
 */
export class ConfigPublisher {
  private lastProblem = "";

  constructor(
    private readonly js: JetStreamClient,
    private readonly source: ConfigSource,
    private readonly log: Logger,
  ) {}

  async check(currentHash: string | null): Promise<void> {
    try {
      const { config, hash } = await this.source.read();
      this.lastProblem = "";
      if (currentHash === hash) return;
      const source = this.source.name;
      const result = await publishEvent(this.js, subjects.config(source), { type: "ConfigApplied", data: { source, hash, config } }, { msgID: `config-${hash}` });
      this.log.info({ hash, result }, "published configuration");
    } catch (err) {
      const problem = (err as Error).message;
      if (problem !== this.lastProblem) this.log.error({ err: problem }, "configuration rejected; the last good configuration keeps serving");
      this.lastProblem = problem;
    }
  }
}
