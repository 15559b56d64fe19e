import { STREAMS } from "../../events/types.js";
import type { LogHost } from "../host/logHost.js";
import { positionOf, registerAgentLogMetrics } from "../health/agentMetrics.js";
import type { LogChanges } from "../health/logChanges.js";
import type { AgentMonitor } from "../health/monitor.js";
import type { PartHealth } from "../health/partHealth.js";
import { registerAllocatorMetrics } from "./allocatorMetrics.js";
import type { PublisherStats } from "./publisher.js";
import type { AllocatorView } from "./view.js";
import { refusalsByReason } from "../../projections/eventRules.js";

export type AllocatorMonitorParts = {
  /** The process's log host: its connection, followers and view. */
  host: LogHost;
  view: AllocatorView;
  /** True once the allocator has planned at the head of the log (it allocates nothing before). */
  caughtUp: () => boolean;
  changes: LogChanges;
  claims: PublisherStats;
  configOutcomes: Readonly<Record<string, number>>;
};

/** The allocator's health facts (connected, caught up, follower running) and its metrics. */
export function monitorAllocator(monitor: AgentMonitor, health: PartHealth, p: AllocatorMonitorParts): void {
  const host = p.host;
  host.report(health, p.caughtUp);
  registerAllocatorMetrics(monitor.metrics, { log: () => p.view.log, claims: p.claims });
  registerAgentLogMetrics(monitor, {
    agent: "allocator", jsm: host.jsm, changes: p.changes, configOutcomes: p.configOutcomes, invalid: () => p.view.invalid, refused: () => refusalsByReason(p.view.log),
    snapshotMismatches: () => host.snapshotMismatches,
    positions: { [STREAMS.events]: () => positionOf(p.view.log) },
  });
}
