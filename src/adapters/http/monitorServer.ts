import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { verdictText } from "../../agents/health/readiness.js";
import type { AgentMonitor } from "../../agents/health/monitor.js";

export type MonitorServerOptions = { address: string; port: number };

export type MonitorServer = { readonly port: number; close(): Promise<void> };

/** The port could not be opened (in use, not permitted): the agent runs on without it and says so. */
export class MonitorListenError extends Error {
  readonly code = "MONITOR_LISTEN_FAILED";
}

/**
 * Serves /healthz (alive), /readyz (ready, or why not) and /metrics (Prometheus text) on one port. Probes answer
 * 200 or 503 with the reasons in the body, one per line.
 */
export async function startMonitorServer(monitor: AgentMonitor, opts: MonitorServerOptions): Promise<MonitorServer> {
  const server = createServer((req, res) => void answer(monitor, req, res));
  await new Promise<void>((resolve, reject) => {
    server.once("error", (err: NodeJS.ErrnoException) =>
      reject(new MonitorListenError(`health and metrics on ${opts.address}:${opts.port} not served: ${err.code ?? err.message}`)),
    );
    server.listen(opts.port, opts.address, () => resolve());
  });
  server.on("error", () => undefined);
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function answer(monitor: AgentMonitor, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = (req.url ?? "/").split("?")[0];
  if (req.method !== "GET" && req.method !== "HEAD") return send(res, 405, "only GET\n");
  try {
    switch (path) {
      case "/healthz": {
        const v = monitor.liveness();
        return send(res, v.ok ? 200 : 503, verdictText(v));
      }
      case "/readyz": {
        const v = monitor.readiness();
        return send(res, v.ok ? 200 : 503, verdictText(v));
      }
      case "/metrics":
        return send(res, 200, await monitor.metrics.metrics(), monitor.metrics.contentType);
      default:
        return send(res, 404, "not found: /healthz, /readyz or /metrics\n");
    }
  } catch (err) {
    send(res, 500, `${(err as Error).message}\n`);
  }
}

function send(res: ServerResponse, status: number, body: string, contentType = "text/plain; charset=utf-8"): void {
  res.writeHead(status, { "content-type": contentType, "cache-control": "no-store" });
  res.end(body);
}
