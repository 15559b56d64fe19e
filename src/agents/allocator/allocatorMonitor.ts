import type { JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Follower } from "../../adapters/nats/follow.js";
import { STREAMS } from "../../events/types.js";
import { positionOf, registerAgentLogMetrics } from "../health/agentMetrics.js";
import type { LogChanges } from "../health/logChanges.js";
import type { AgentMonitor } from "../health/monitor.js";
import type { PartHealth } from "../health/partHealth.js";
import { reportOpened } from "../health/reportOpened.js";
import { registerAllocatorMetrics } from "./allocatorMetrics.js";
import type { PublisherStats } from "./publisher.js";
import type { AllocatorView } from "./view.js";
import { refusalsByReason } from "../../projections/eventRules.js";

export type AllocatorMonitorParts = {
  nc: NatsConnection;
  jsm: JetStreamManager;
  events: Follower;
  view: AllocatorView;
  /** True once the allocator has planned at the head of the log (it allocates nothing before). */
  caughtUp: () => boolean;
  changes: LogChanges;
  claims: PublisherStats;
  configOutcomes: Readonly<Record<string, number>>;
  audit?: { readonly mismatches: number };
};

/** The allocator's health facts (connected, caught up, follower running) and its metrics. */
export function monitorAllocator(monitor: AgentMonitor, health: PartHealth, p: AllocatorMonitorParts): void {
  reportOpened(health, { nc: p.nc, followers: { [STREAMS.events]: p.events }, caughtUp: p.caughtUp });
  registerAllocatorMetrics(monitor.metrics, { log: () => p.view.log, claims: p.claims });
  registerAgentLogMetrics(monitor, {
    agent: "allocator", jsm: p.jsm, changes: p.changes, configOutcomes: p.configOutcomes, invalid: () => p.view.invalid, refused: () => refusalsByReason(p.view.log),
    ...(p.audit === undefined ? {} : { snapshotMismatches: () => p.audit?.mismatches ?? 0 }),
    positions: { [STREAMS.events]: () => positionOf(p.view.log) },
  });
}
