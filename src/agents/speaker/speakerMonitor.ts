import type { JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Follower } from "../../adapters/nats/follow.js";
import { STREAMS } from "../../events/types.js";
import { positionOf, registerAgentLogMetrics } from "../health/agentMetrics.js";
import type { LogChanges } from "../health/logChanges.js";
import type { AgentMonitor } from "../health/monitor.js";
import type { PartHealth } from "../health/partHealth.js";
import { reportOpened } from "../health/reportOpened.js";
import { registerSpeakerMetrics, type SpeakerMetricSources } from "./speakerMetrics.js";
import { refusalsByReason } from "../../projections/eventRules.js";

export type SpeakerMonitorParts = {
  nc: NatsConnection;
  jsm: JetStreamManager;
  events: Follower;
  beats: Follower;
  changes: LogChanges;
  configOutcomes: Readonly<Record<string, number>>;
  metrics: SpeakerMetricSources;
  audit?: { readonly mismatches: number };
};

/** The speaker's health facts (connected, caught up, not fenced, followers running) and its metrics. */
export function monitorSpeaker(monitor: AgentMonitor, health: PartHealth, p: SpeakerMonitorParts): void {
  const { view, fencing } = p.metrics;
  reportOpened(health, { nc: p.nc, followers: { [STREAMS.events]: p.events, [STREAMS.heartbeats]: p.beats }, caughtUp: () => view.ready, fenced: () => fencing.fenced });
  registerSpeakerMetrics(monitor.metrics, p.metrics);
  registerAgentLogMetrics(monitor, {
    agent: "speaker", jsm: p.jsm, changes: p.changes, invalid: () => view.invalid, configOutcomes: p.configOutcomes, refused: () => refusalsByReason(view.log),
    ...(p.audit === undefined ? {} : { snapshotMismatches: () => p.audit?.mismatches ?? 0 }),
    positions: { [STREAMS.events]: () => positionOf(view.log), [STREAMS.heartbeats]: () => ({ seq: view.members.seq, time: view.members.time }) },
  });
}
