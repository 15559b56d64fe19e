import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { connect, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { closeNats, connectNats } from "../adapters/nats/connect.js";
import { initLog } from "../adapters/nats/logInit.js";
import { NO_SECURITY, type NatsClientSecurity } from "../adapters/nats/security.js";
import { DEFAULT_STREAM_SETTINGS } from "../adapters/nats/streams.js";
import type { Grant } from "../events/permissions.js";
import type { AuthCalloutSettings } from "../events/natsAuthorization.js";
import { natsServerPath } from "../lab/paths.js";
import { DEFAULT_NATS_USERS, makeNatsSecurityKit, type NatsSecurityKit } from "./natsSecurityKit.js";

// A real nats-server with JetStream on a free loopback port, its store in a temp dir: for integration tests and
// benchmarks. TLS (clients verified) and password authentication are on unless a caller says why not.

export type NatsServer = {
  url: string;
  port: number;
  storeDir: string;
  /** The per-run PKI and passwords; null when started with `insecure`. */
  kit: NatsSecurityKit | null;
  /** The HTTP monitoring endpoint (/connz, /jsz) with `monitor`; null without. */
  monitorUrl: string | null;
  /** Connection options as `user` (default admin); no security when the server runs without it. */
  client: (user?: string) => NatsClientSecurity;
  /** The same as vipmesh flags. */
  cliArgs: (user?: string) => string[];
  /** Writes the configuration again (new passwords, certificates) and has the running server reload it (SIGHUP). */
  reload: () => Promise<void>;
  stop: () => Promise<void>;
  kill: () => Promise<void>;
  restart: () => Promise<void>;
};

export type NatsServerOptions = {
  /** `syncAlways` fsyncs every write, as the lab and production run; benchmarks that only read may turn it off to fill a stream fast. */
  syncAlways?: boolean;
  /** Users besides admin, allocator, controller and reader (e.g. speaker-node1). */
  users?: string[];
  /** What a user may do instead of what its name gives (natsSecurityKit.ts). */
  grants?: Readonly<Record<string, Grant[]>>;
  /** Public user nkeys (U...) accepted besides the users. */
  nkeys?: string[];
  /** Configuration that replaces the users (e.g. `operator: …` and a resolver, for .creds files); TLS stays on. */
  authorization?: string;
  /** Auth callout: clients that are none of the users are sent to the callout service (e.g. `vipmesh controller`). */
  authCallout?: AuthCalloutSettings;
  /** Runs without TLS and authentication; the reason is required, so every such server says why. */
  insecure?: { reason: string };
  /**
   * Streams and bucket made by the install step (`vipmesh log init` as admin), as a deployment has them before its
   * agents start (default, unless `authorization` replaces the users); false for tests of what agents do without
   * them. `replicas` is 1.
   */
  initLog?: boolean;
  /** Serve nats-server's HTTP monitoring (/connz, /jsz) on another loopback port: tests count connections and consumers. */
  monitor?: boolean;
};

export async function freePort(): Promise<number> {
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

export async function waitForPort(port: number, timeoutMs: number): Promise<void> {
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

async function initLogAsAdmin(port: number, security: NatsClientSecurity): Promise<void> {
  const nc = await connectNats({ servers: [`nats://127.0.0.1:${port}`], security, name: "test-log-init", pingIntervalMs: 2_000, giveUpAfterMs: 10_000 });
  try {
    await initLog(nc, DEFAULT_STREAM_SETTINGS);
  } finally {
    await closeNats(nc);
  }
}

export async function startNatsServer(opts: NatsServerOptions = {}): Promise<NatsServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "vipmesh-nats-"));
  const storeDir = join(dir, "store");
  const configFile = join(dir, "nats.conf");
  const sync = opts.syncAlways === false ? "" : "  sync_interval: always\n";
  const monitorPort = opts.monitor ? await freePort() : null;
  const http = monitorPort === null ? "" : `http: 127.0.0.1:${monitorPort}\n`;
  const kit = opts.insecure ? null : makeNatsSecurityKit(join(dir, "pki"), { users: [...DEFAULT_NATS_USERS, ...(opts.users ?? [])], nkeys: opts.nkeys ?? [], ...(opts.grants ? { grants: opts.grants } : {}), ...(opts.authCallout ? { callout: opts.authCallout } : {}) });
  const writeConfig = (): void =>
    writeFileSync(configFile, `listen: 127.0.0.1:${port}\n${http}jetstream {\n  store_dir: "${storeDir}"\n${sync}}\n${kit ? `${kit.serverConfig(opts.authorization)}\n` : ""}`);
  writeConfig();
  let child: ChildProcess | null = null;
  let reloads = 0;
  const launch = async (): Promise<void> => {
    child = spawn(natsServerPath(), ["-c", configFile], { stdio: ["ignore", "ignore", "pipe"] });
    child.stderr?.setEncoding("utf8").on("data", (chunk: string) => (reloads += chunk.split("Reloaded server configuration").length - 1));
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
  // A server with its own authorization (operator mode) has no admin password user to do it.
  if (opts.initLog !== false && opts.authorization === undefined) await initLogAsAdmin(port, kit?.client("admin") ?? NO_SECURITY);
  return {
    url: `nats://127.0.0.1:${port}`,
    port,
    storeDir,
    kit,
    monitorUrl: monitorPort === null ? null : `http://127.0.0.1:${monitorPort}`,
    client: (user = "admin") => kit?.client(user) ?? NO_SECURITY,
    cliArgs: (user = "admin") => kit?.cliArgs(user) ?? [],
    reload: async () => {
      writeConfig();
      const before = reloads;
      child?.kill("SIGHUP");
      const deadline = Date.now() + 10_000;
      while (reloads === before) {
        if (Date.now() > deadline) throw new Error(`nats-server on port ${port} did not report a reload of ${configFile}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
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
