import { InvalidArgumentError, Option, type Command } from "commander";
import type { Logger } from "pino";
import { startMonitorServer, type MonitorServer } from "../adapters/http/monitorServer.js";
import type { AgentMonitor } from "../agents/health/monitor.js";
import { VERSION } from "./version.js";

// --metrics-port / --metrics-address: /healthz, /readyz and /metrics of every long-running agent on one port
// (MetalLB's 7472 by default; 0 turns the endpoint off).

export const DEFAULT_METRICS_PORT = 7472;

export function addMetricsOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("--metrics-port <port>", "port of /healthz, /readyz and /metrics; 0 turns them off").env("VIPMESH_METRICS_PORT").default(String(DEFAULT_METRICS_PORT)))
    .addOption(new Option("--metrics-address <address>", "address the health and metrics port listens on").env("VIPMESH_METRICS_ADDRESS").default("0.0.0.0"));
}

export type CliMonitor = { monitor: AgentMonitor | undefined; close: () => Promise<void> };

/**
 * The process's monitor and its HTTP endpoint. A port that cannot be opened is logged at error and the agent runs
 * on without it (its announcements matter more than its probes; the kubelet's failing probes make it visible).
 */
export async function monitorFromOptions(o: Record<string, string | undefined>, command: string, log: Logger): Promise<CliMonitor> {
  const port = Number(o["metricsPort"]);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw new InvalidArgumentError(`--metrics-port must be a port number (0 turns it off), got "${o["metricsPort"]}"`);
  if (port === 0) return { monitor: undefined, close: async () => undefined };
  // Loaded here: prom-client costs every command's start otherwise (validate, replay, a test's agent with port 0).
  const { processMonitor } = await import("../agents/health/processMonitor.js");
  const monitor = processMonitor(command, VERSION);
  const address = o["metricsAddress"] ?? "0.0.0.0";
  let server: MonitorServer | null = null;
  try {
    server = await startMonitorServer(monitor, { address, port });
    log.info({ address, port: server.port }, "serving /healthz, /readyz and /metrics");
  } catch (err) {
    log.error({ address, port, err: (err as Error).message }, "health and metrics endpoint not served; the agent runs on without it");
  }
  return { monitor, close: async () => server?.close() };
}
