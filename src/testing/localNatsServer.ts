import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { natsServerPath } from "../lab/paths.js";

// A real nats-server with JetStream on a free loopback port, its store in a temp dir: for integration tests and benchmarks.

export type NatsServer = { url: string; port: number; storeDir: string; stop: () => Promise<void>; kill: () => Promise<void>; restart: () => Promise<void> };

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
    server.once("error", reject);
  });
}

async function waitForPort(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const ok = await new Promise<boolean>((resolve) => {
      const sock = connect(port, "127.0.0.1", () => {
        sock.destroy();
        resolve(true);
      });
      sock.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nats-server did not listen on 127.0.0.1:${port} within ${timeoutMs} ms`);
}

/** `syncAlways` fsyncs every write, as the lab and production run; benchmarks that only read may turn it off to fill a stream fast. */
export async function startNatsServer(opts: { syncAlways?: boolean } = {}): Promise<NatsServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "vipmesh-nats-"));
  const storeDir = join(dir, "store");
  const configFile = join(dir, "nats.conf");
  const sync = opts.syncAlways === false ? "" : "  sync_interval: always\n";
  writeFileSync(configFile, `listen: 127.0.0.1:${port}\njetstream {\n  store_dir: "${storeDir}"\n${sync}}\n`);
  let child: ChildProcess | null = null;
  const launch = async (): Promise<void> => {
    child = spawn(natsServerPath(), ["-c", configFile], { stdio: "ignore" });
    await waitForPort(port, 10_000);
  };
  const halt = async (signal: NodeJS.Signals): Promise<void> => {
    const c = child;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise((r) => c.once("exit", r));
    c.kill(signal);
    await exited;
  };
  await launch();
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    restart: async () => {
      await halt("SIGTERM");
      await launch();
    },
    kill: () => halt("SIGKILL"),
    stop: async () => {
      await halt("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
