// nats-server (JetStream on) inside the `nats` namespace, listening on 198.18.0.2:4222, with TLS (clients verified)
// and a password per agent from the run's kit (lab.natsKit).
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { natsServerPath, requireFile, vipmeshArgv } from "./paths.js";
import { waitFor } from "./run.js";
import { roleIp } from "./topology.js";
import type { LabContext, ProcHandle } from "./types.js";

export const NATS_PORT = 4222;

export interface NatsServer {
  url: string;
  proc: ProcHandle;
}

export async function startNatsServer(lab: LabContext, opts: { port?: number } = {}): Promise<NatsServer> {
  const bin = requireFile(natsServerPath(), "run scripts/setup.sh or set VIPMESH_NATS_SERVER");
  const ip = roleIp("nats");
  const port = opts.port ?? NATS_PORT;
  const storeDir = join(lab.runDir, "nats-js");
  mkdirSync(storeDir, { recursive: true });
  const conf = join(lab.runDir, "nats-server.conf");
  writeFileSync(
    conf,
    [
      `server_name: "vipmesh-lab"`,
      `listen: "${ip}:${port}"`,
      `jetstream {`,
      `  store_dir: ${JSON.stringify(storeDir)}`,
      `  max_memory_store: 268435456`,
      `  max_file_store: 2147483648`,
      // Every write to the EVENTS stream is on disk before it is acknowledged: a claim is never lost to a crash.
      `  sync_interval: always`,
      `}`,
      lab.natsKit.serverConfig(),
      "",
    ].join("\n"),
  );
  let ready = false;
  const proc = lab.spawn("nats", [bin, "-c", conf], {
    name: "nats-server",
    onStderrLine: (l) => {
      if (l.includes("Server is ready")) ready = true;
    },
  });
  const url = `nats://${ip}:${port}`;
  try {
    await waitFor("nats-server to report ready", () => (ready ? true : proc.running ? undefined : fail()), 20_000);
    // Ready from the server's view; also check the path across the switch from another namespace.
    await waitFor("nats-server to accept TCP from the client namespace", async () =>
      (await lab.tcpCheck("client", ip, port, 1000)) ? true : undefined,
    );
  } catch (err) {
    await proc.stop();
    throw err;
  }
  lab.log.info({ url, pid: proc.pid }, "lab: nats-server ready");
  return { url, proc };

  function fail(): never {
    throw new Error(`lab: nats-server exited early; see ${join(lab.runDir, `${proc.name}.log`)}`);
  }
}

/**
 * The install step of the lab's log: `vipmesh log init` as the admin, from the nats namespace, retried while a new
 * NATS cluster elects its JetStream leader. Agents wait for the streams and never create them.
 */
export async function initLabLog(lab: LabContext & { natsArgs(user: string): string[] }, natsUrl: string, replicas: number): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (let attempt = 1; ; attempt++) {
    const lines: string[] = [];
    const proc = lab.spawn("nats", vipmeshArgv("log", "init", "--nats", natsUrl, ...lab.natsArgs("admin"), "--replicas", String(replicas), "--timeout", "10"), {
      name: `log-init-${attempt}`,
      onStderrLine: (l) => lines.push(l),
    });
    const exit = await proc.exited;
    if (exit.code === 0) return;
    if (Date.now() > deadline) throw new Error(`lab: vipmesh log init failed (exit ${String(exit.code)}): ${lines.slice(-3).join(" | ")}`);
    await new Promise((r) => setTimeout(r, 1_000));
  }
}
