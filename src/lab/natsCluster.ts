// A three-server NATS cluster inside the `nats` namespace (one address, ports 4222-4224, routes on 6222-6224, TLS and
// a password on client connections and routes alike, from the run's kit),
// for the faults that need one: a stream leader killed, a full outage. Each server is a process that can be
// killed and started again with its store intact.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { natsServerPath, requireFile } from "./paths.js";
import { waitFor } from "./run.js";
import { roleIp } from "./topology.js";
import type { LabContext, ProcHandle } from "./types.js";

export const CLUSTER_SIZE = 3;
const clientPort = (i: number): number => 4222 + i;
const routePort = (i: number): number => 6222 + i;

export class LabNatsCluster {
  private readonly procs: (ProcHandle | null)[] = Array.from({ length: CLUSTER_SIZE }, () => null);

  constructor(private readonly lab: LabContext) {}

  get urls(): string[] {
    return Array.from({ length: CLUSTER_SIZE }, (_, i) => `nats://${roleIp("nats")}:${clientPort(i)}`);
  }

  serverName(i: number): string {
    return `nats-${i}`;
  }

  private configFor(i: number): string {
    const ip = roleIp("nats");
    const storeDir = join(this.lab.runDir, `nats-js-${i}`);
    mkdirSync(storeDir, { recursive: true });
    const routes = Array.from({ length: CLUSTER_SIZE }, (_, j) => `    "${this.lab.natsKit.routeUrl(ip, routePort(j))}"`).join("\n");
    const file = join(this.lab.runDir, `nats-${i}.conf`);
    writeFileSync(file, [
      `server_name: "${this.serverName(i)}"`,
      `listen: "${ip}:${clientPort(i)}"`,
      `jetstream {`,
      `  store_dir: ${JSON.stringify(storeDir)}`,
      `  sync_interval: always`,
      `  max_memory_store: 268435456`,
      `}`,
      this.lab.natsKit.serverConfig(),
      `cluster {`,
      `  name: "vipmesh-lab"`,
      `  listen: "${ip}:${routePort(i)}"`,
      this.lab.natsKit.routeConfig(),
      `  routes: [\n${routes}\n  ]`,
      `}`,
      "",
    ].join("\n"));
    return file;
  }

  async start(i: number): Promise<void> {
    const bin = requireFile(natsServerPath(), "run scripts/setup.sh or set VIPMESH_NATS_SERVER");
    if (this.procs[i]?.running) return;
    this.procs[i] = this.lab.spawn("nats", [bin, "-c", this.configFor(i)], { name: `${this.serverName(i)}-${Date.now()}` });
    await waitFor(`${this.serverName(i)} to accept TCP`, async () => ((await this.lab.tcpCheck("client", roleIp("nats"), clientPort(i), 1000)) ? true : undefined), 20_000);
  }

  async startAll(): Promise<void> {
    await Promise.all(Array.from({ length: CLUSTER_SIZE }, (_, i) => this.start(i)));
  }

  /** Kills server i at once (SIGKILL), as a crash would. */
  async kill(i: number): Promise<void> {
    const proc = this.procs[i];
    if (!proc?.running) return;
    proc.kill("SIGKILL");
    await proc.exited;
  }

  async killAll(): Promise<void> {
    await Promise.all(Array.from({ length: CLUSTER_SIZE }, (_, i) => this.kill(i)));
  }

  indexOf(serverName: string): number {
    return Array.from({ length: CLUSTER_SIZE }, (_, i) => this.serverName(i)).indexOf(serverName);
  }
}
