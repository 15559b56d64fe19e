import { collectDefaultMetrics, Registry } from "prom-client";
import { observedGauge, single } from "../../adapters/metrics/observed.js";
import { AgentMonitor } from "./monitor.js";

/**
 * A process's monitor with its own registry: Node's process metrics (process_*, nodejs_*), the version, and whether
 * the process is ready (the same verdict as /readyz, for alerting).
 */
export function processMonitor(command: string, version: string): AgentMonitor {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const monitor = new AgentMonitor(registry);
  observedGauge(registry, { name: "vipmesh_build_info", help: "1, labelled with the version and the command this process runs", labelNames: ["version", "command"], read: () => [{ labels: { version, command }, value: 1 }] });
  observedGauge(registry, { name: "vipmesh_ready", help: "1 while /readyz answers ready (connected, caught up, not fenced)", read: () => single(monitor.readiness().ok ? 1 : 0) });
  return monitor;
}
