import { loadavg } from "node:os";
import { checkManifests } from "../config/parseManifests.js";
import type { ClusterConfig } from "../config/types.js";
import { hashConfig } from "../agents/speaker/configSource.js";
import { encodeEvent } from "../events/codec.js";
import { configChangeMessages } from "../events/configChangeEvents.js";
import { machineDescription, type BenchResult } from "./report.js";
import { scaleManifests } from "./scale/scaleManifests.js";

// npm run bench -- config-sizes [services...]: what one configuration change writes to the log, before (one
// ConfigApplied with the whole configuration) and after per-object events, for the scale benchmark's configuration
// at each size (default 10 and 10,000 Services). The change: one Service's ready endpoints edited. Also the first
// import (every object, one change) and the largest event in it. Pure computation: no NATS, no lab.

function sizes(services: number): Record<string, number> {
  const { config, problems } = checkManifests(scaleManifests(services));
  if (problems.length > 0) throw new Error(problems.join("; "));
  const edited: ClusterConfig = { ...config, services: config.services.map((s, i) => (i === 0 ? { ...s, readyEndpointNodes: ["node1"] } : s)) };
  const whole = encodeEvent({ type: "ConfigApplied", data: { source: "file", hash: hashConfig(edited), config: edited } }).length;
  const change = configChangeMessages("file", config, edited, hashConfig(edited), hashConfig(edited), 1_000_000).map((m) => encodeEvent(m.event).length);
  const imported = configChangeMessages("file", null, config, hashConfig(config), hashConfig(config), 0).map((m) => encodeEvent(m.event).length);
  return {
    [`before_change_bytes_${services}`]: whole,
    [`after_change_bytes_${services}`]: change.reduce((a, b) => a + b, 0),
    [`after_change_messages_${services}`]: change.length,
    [`after_import_bytes_${services}`]: imported.reduce((a, b) => a + b, 0),
    [`after_import_messages_${services}`]: imported.length,
    [`max_event_bytes_${services}`]: Math.max(...imported, ...change),
  };
}

export async function configSizesBench(args: string[]): Promise<BenchResult> {
  const counts = (args.length > 0 ? args : ["10", "10000"]).map(Number);
  if (counts.some((n) => !Number.isInteger(n) || n < 1)) throw new Error("usage: config-sizes [services >= 1 ...]");
  const figures: Record<string, number> = {};
  for (const n of counts) Object.assign(figures, sizes(n));
  figures["load_avg_1m"] = loadavg()[0] ?? Number.NaN;
  return Promise.resolve({ name: "config-sizes", figures, settings: { services: counts, change: "one Service's readyEndpointNodes edited", configuration: "scale benchmark's (scaleManifests)" }, machine: machineDescription() });
}
