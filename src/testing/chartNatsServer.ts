import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseAllDocuments } from "yaml";
import type { NatsClientSecurity } from "../adapters/nats/security.js";
import { inboxPrefixOf } from "../events/permissions.js";
import { natsServerPath } from "../lab/paths.js";
import { freePort, waitForPort } from "./localNatsServer.js";

// One nats-server run with the configuration `helm template` renders for the chart's NATS StatefulSet (its nats.conf,
// auth.conf, the PKI and passwords of its Secrets), on loopback and in a temp dir, without the cluster routes: so a
// test checks what the chart installs, not a configuration of its own. `files` are extra files the servers' config
// volume holds (e.g. auth/callout.conf, made by the auth callout's keys Job).

export type ChartObject = { kind: string; metadata: { name: string }; spec?: unknown; data?: Record<string, string>; stringData?: Record<string, string> };

export const chartObjects = (yaml: string): ChartObject[] => parseAllDocuments(yaml).map((d) => d.toJS() as ChartObject).filter((o) => o !== null);

export function chartObject(objs: readonly ChartObject[], kind: string, name: string): ChartObject {
  const o = objs.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`the chart rendered no ${kind}/${name}`);
  return o;
}

const b64 = (s: string | undefined): string => Buffer.from(s ?? "", "base64").toString("utf8");

export type ChartNatsServer = {
  url: string;
  /** The server's log (stderr). */
  log: () => string;
  /** Mutual TLS with the client certificate of Secret `vipmesh-nats-<component>`, and its password user (none for speakers). */
  client: (component: "admin" | "controller" | "reader" | "speaker", as: { user?: string; role: "admin" | "controller" | "reader" | "speaker"; id: string | null }) => NatsClientSecurity;
  /** The files of Secret `vipmesh-nats-<component>` (ca.crt, tls.crt, tls.key, password), as the Pods mount them. */
  secretDir: (component: string) => string;
  stop: () => void;
};

export async function startChartNatsServer(objs: readonly ChartObject[], dir: string, files: Readonly<Record<string, string>> = {}): Promise<ChartNatsServer> {
  for (const sub of ["tls", "auth"]) mkdirSync(join(dir, sub), { recursive: true });
  const server = chartObject(objs, "Secret", "vipmesh-nats-server").data ?? {};
  for (const k of ["ca.crt", "tls.crt", "tls.key"]) writeFileSync(join(dir, "tls", k), b64(server[k]));
  writeFileSync(join(dir, "auth", "auth.conf"), chartObject(objs, "Secret", "vipmesh-nats-auth").stringData?.["auth.conf"] ?? "");
  for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, path), text);
  const secretDir = (component: string): string => {
    const d = join(dir, `secret-${component}`);
    mkdirSync(d, { recursive: true, mode: 0o700 });
    for (const [k, v] of Object.entries(chartObject(objs, "Secret", `vipmesh-nats-${component}`).data ?? {})) writeFileSync(join(d, k), b64(v), { mode: 0o600 });
    return d;
  };
  const [port, http] = [await freePort(), await freePort()];
  const conf = chartNatsConfOnLoopback(chartObject(objs, "ConfigMap", "vipmesh-nats-config").data?.["nats.conf"] ?? "", dir, port, http);
  writeFileSync(join(dir, "nats.conf"), conf);
  let log = "";
  const proc: ChildProcess = spawn(natsServerPath(), ["--config", join(dir, "nats.conf")], { env: { ...process.env, POD_NAME: "vipmesh-nats-0" }, stdio: ["ignore", "ignore", "pipe"] });
  proc.stderr?.setEncoding("utf8").on("data", (d: string) => (log += d));
  const killer = (): void => void proc.kill("SIGKILL");
  process.once("exit", killer);
  try {
    await waitForPort(port, 10_000);
  } catch (err) {
    proc.kill("SIGKILL");
    throw new Error(`${(err as Error).message}\n${log}`);
  }
  return {
    url: `nats://127.0.0.1:${port}`,
    log: () => log,
    secretDir,
    client: (component, as) => {
      const d = secretDir(component);
      const f = (name: string, source: string): { path: string; source: string } => ({ path: join(d, name), source });
      return {
        auth: as.user ? { kind: "password", user: as.user, password: { file: f("password", "--nats-password-file") } } : null,
        tls: { caFile: f("ca.crt", "--nats-ca"), certFile: f("tls.crt", "--nats-cert"), keyFile: f("tls.key", "--nats-key"), serverName: "vipmesh-nats.metallb-system.svc" },
        inboxPrefix: inboxPrefixOf(as.role, as.id),
      };
    },
    stop: () => {
      proc.kill("SIGKILL");
      process.removeListener("exit", killer);
    },
  };
}

/** The chart's nats.conf for one server on loopback with its files under dir (its routes name the cluster's Pods). */
export function chartNatsConfOnLoopback(conf: string, dir: string, port: number, http: number): string {
  return conf
    .replace(/\ncluster \{[\s\S]*$/, "\n")
    .replace("listen: 0.0.0.0:4222", `listen: 127.0.0.1:${port}`)
    .replace("http: 0.0.0.0:8222", `http: 127.0.0.1:${http}`)
    .replaceAll("/etc/nats/tls/", `${dir}/tls/`)
    .replace("/var/run/nats/", `${dir}/`)
    .replace("/data/jetstream", `${dir}/jetstream`);
}
