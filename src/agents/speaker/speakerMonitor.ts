import { STREAMS } from "../../events/types.js";
import type { LogHost } from "../host/logHost.js";
import { positionOf, registerAgentLogMetrics } from "../health/agentMetrics.js";
import type { LogChanges } from "../health/logChanges.js";
import type { AgentMonitor } from "../health/monitor.js";
import type { PartHealth } from "../health/partHealth.js";
import { registerSpeakerMetrics, type SpeakerMetricSources } from "./speakerMetrics.js";
import { refusalsByReason } from "../../projections/eventRules.js";

export type SpeakerMonitorParts = {
  /** The process's log host: its connection, followers and view (the view the speaker acts on). */
  host: LogHost;
  changes: LogChanges;
  configOutcomes: Readonly<Record<string, number>>;
  metrics: SpeakerMetricSources;
};

/** The speaker's health facts (connected, caught up, not fenced, followers running) and its metrics. */
export function monitorSpeaker(monitor: AgentMonitor, health: PartHealth, p: SpeakerMonitorParts): void {
  const { view, fencing } = p.metrics;
  const host = p.host;
  host.report(health, () => view.ready, () => fencing.fenced);
  registerSpeakerMetrics(monitor.metrics, p.metrics);
  registerAgentLogMetrics(monitor, {
    agent: "speaker", jsm: host.jsm, changes: p.changes, invalid: () => view.invalid, configOutcomes: p.configOutcomes, refused: () => refusalsByReason(view.log),
    snapshotMismatches: () => host.snapshotMismatches,
    positions: { [STREAMS.events]: () => positionOf(view.log), [STREAMS.heartbeats]: () => ({ seq: view.members.seq, time: view.members.time }) },
  });
}
