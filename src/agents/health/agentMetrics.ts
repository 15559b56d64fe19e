import type { JetStreamManager } from "@nats-io/jetstream";
import { addObservedSource } from "../../adapters/metrics/observed.js";
import type { StreamName } from "../../events/types.js";
import type { LogState } from "../../projections/logState.js";
import type { LogChanges } from "./logChanges.js";
import { logLagSamples, type LogPosition } from "./logLag.js";
import type { AgentMonitor } from "./monitor.js";

// The metrics every agent that reads the log has, labelled with the agent's name: log lag per stream, and the
// configuration changes it applied, published and refused.

export type AgentLogSources = {
  agent: string;
  jsm: JetStreamManager;
  positions: Readonly<Partial<Record<StreamName, () => LogPosition>>>;
  changes?: LogChanges;
  /** The agent's ConfigPublisher outcomes, when it publishes a configuration source. */
  configOutcomes?: Readonly<Record<string, number>>;
  /** Log messages the agent's view skipped as invalid. */
  invalid: () => number;
  /** Events its projection refused, per reason (refusalsByReason). */
  refused?: () => Readonly<Record<string, number>>;
  /** Replays of the log that disproved the projection (snapshotAudit.ts). */
  snapshotMismatches?: () => number;
};

export const positionOf = (log: LogState): LogPosition => ({ seq: log.seq, time: log.time });

export function registerAgentLogMetrics(monitor: AgentMonitor, src: AgentLogSources): void {
  const registry = monitor.metrics;
  const agent = src.agent;
  const lag = logLagSamples(src.jsm, src.positions);
  const withAgent = <S extends { labels: object }>(samples: readonly S[]) => samples.map((s) => ({ ...s, labels: { ...s.labels, agent } }));
  addObservedSource(registry, "gauge", { name: "vipmesh_log_lag_messages", help: "Messages of a stream the agent has not applied yet (its head's sequence minus the agent's)", labelNames: ["agent", "stream"] },
    async () => withAgent((await lag()).messages));
  addObservedSource(registry, "gauge", { name: "vipmesh_log_lag_seconds", help: "Log time between the last message the agent applied and the stream's head (0 when caught up)", labelNames: ["agent", "stream"] },
    async () => withAgent((await lag()).seconds));
  addObservedSource(registry, "counter", { name: "vipmesh_invalid_events_total", help: "Log messages the agent skipped as invalid", labelNames: ["agent"] },
    () => [{ labels: { agent }, value: src.invalid() }]);
  const refused = src.refused;
  if (refused) {
    addObservedSource(registry, "counter", { name: "vipmesh_events_refused_total", help: "Events the agent's projection refused, by reason (meaning, identity, IPAM, stale term, undecodable)", labelNames: ["agent", "reason"] },
      () => Object.entries(refused()).map(([reason, value]) => ({ labels: { agent, reason }, value })));
  }
  const mismatches = src.snapshotMismatches;
  if (mismatches) {
    addObservedSource(registry, "counter", { name: "vipmesh_snapshot_mismatches_total", help: "Replays of the log that disagreed with the agent's projection (a forged or corrupt snapshot); each rebuilt it from the log", labelNames: ["agent"] },
      () => [{ labels: { agent }, value: mismatches() }]);
  }
  const changes = src.changes;
  if (changes) {
    addObservedSource(registry, "counter", { name: "vipmesh_config_revisions_applied_total", help: "Configurations from the log this agent applied since it caught up", labelNames: ["agent"] },
      () => [{ labels: { agent }, value: changes.configsApplied }]);
  }
  const outcomes = src.configOutcomes;
  if (outcomes) {
    addObservedSource(registry, "counter", { name: "vipmesh_config_changes_total", help: "Configuration changes from --config: published, or refused (invalid, unreadable, held by the release guard)", labelNames: ["agent", "result"] },
      () => Object.entries(outcomes).map(([result, value]) => ({ labels: { agent, result }, value })));
  }
}
