import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { request } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { kubeBinaries, missingKubeBinaries } from "./kubePaths.js";
import { adminKubeconfig, makeKubePki, type KubePki } from "./kubePki.js";

// A real etcd and kube-apiserver for integration tests: free ports, a temp dir for data, certificates and logs,
// client-certificate auth for an admin in system:masters, authorization Node,RBAC, the metallb.io CRDs of
// deploy/crds installed with kubectl and Established. stop() ends both processes and deletes the dir; a failed start
// cleans up the same way, and the processes are killed if the test process exits first.
//
// The lab (later): the API server must be reachable from the lab's network namespaces, which have no link to the
// host. Run it inside one of them (e.g. the `nats` namespace) by prefixing the commands with
// `ip netns exec <ns>` and passing that namespace's lab address as `host`: it is then the bind address and a SAN of
// the serving certificate, and the kubeconfig points at it. etcd stays on that namespace's loopback.

export type KubectlResult = { code: number; stdout: string; stderr: string };

export type KubeApiServer = {
  url: string;
  host: string;
  port: number;
  dir: string;
  /** Path of the admin kubeconfig. */
  kubeconfig: string;
  /** Runs kubectl against this server as the admin; never throws on a non-zero exit. */
  kubectl: (args: string[], opts?: { input?: string }) => Promise<KubectlResult>;
  /** Stops only kube-apiserver (etcd keeps the data), e.g. to test an API outage; startApiServer() brings it back. */
  stopApiServer: () => Promise<void>;
  startApiServer: () => Promise<void>;
  stop: () => Promise<void>;
};

export type KubeApiServerOptions = {
  /** Address to listen on and put in the kubeconfig (default 127.0.0.1). */
  host?: string;
  /** Install the CRDs of this dir and wait until they are Established (default deploy/crds; null: none). */
  crdDir?: string | null;
  apiServerArgs?: string[];
  startTimeoutMs?: number;
  /** More addresses the serving certificate is valid for (e.g. a lab address a bridge exposes it on). */
  extraSans?: string[];
};

export const DEFAULT_CRD_DIR = fileURLToPath(new URL("../../deploy/crds/", import.meta.url));

async function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function logTail(file: string, lines = 30): string {
  return existsSync(file) ? readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n") : "(no log)";
}

/** Polls `GET path` until it answers 200 or the deadline passes. */
async function waitHealthy(url: string, pki: KubePki, path: string, timeoutMs: number, child: () => ChildProcess | null, log: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const opts = { ca: readFileSync(pki.caCert), cert: readFileSync(pki.adminCert), key: readFileSync(pki.adminKey), timeout: 2000 };
  for (;;) {
    const status = await new Promise<number>((resolve) => {
      const req = request(`${url}${path}`, opts, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on("error", () => resolve(0));
      req.on("timeout", () => req.destroy());
      req.end();
    });
    if (status === 200) return;
    const c = child();
    if (c && c.exitCode !== null) throw new Error(`kube-apiserver exited with ${c.exitCode}:\n${logTail(log)}`);
    if (Date.now() > deadline) throw new Error(`kube-apiserver not ready at ${url}${path} after ${timeoutMs} ms:\n${logTail(log)}`);
    await sleep(200);
  }
}

async function halt(c: ChildProcess | null, signal: NodeJS.Signals = "SIGTERM", graceMs = 10_000): Promise<void> {
  if (!c || c.exitCode !== null || c.signalCode !== null) return;
  const exited = new Promise((r) => c.once("exit", r));
  c.kill(signal);
  const timer = setTimeout(() => c.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

function launch(bin: string, args: string[], log: string): ChildProcess {
  const fd = openSync(log, "a");
  try {
    return spawn(bin, args, { stdio: ["ignore", fd, fd] });
  } finally {
    closeSync(fd);
  }
}

export function runKubectl(kubectl: string, kubeconfig: string, args: string[], input?: string): Promise<KubectlResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(kubectl, ["--kubeconfig", kubeconfig, ...args], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.once("error", reject);
    child.once("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
    // kubectl may exit without reading its input (a refusal, a command that takes none): its exit code says why.
    child.stdin.on("error", () => undefined);
    child.stdin.end(input ?? "");
  });
}

export async function startKubeApiServer(options: KubeApiServerOptions = {}): Promise<KubeApiServer> {
  const missing = missingKubeBinaries();
  if (missing.length > 0) throw new Error(`missing ${missing.join(", ")}: run scripts/setup.sh (it builds them)`);
  const bin = kubeBinaries();
  const host = options.host ?? "127.0.0.1";
  const timeoutMs = options.startTimeoutMs ?? 90_000;
  const dir = mkdtempSync(join(tmpdir(), "vipmesh-kube-"));
  let etcd: ChildProcess | null = null;
  let apiserver: ChildProcess | null = null;
  const killAll = (): void => {
    for (const c of [apiserver, etcd]) if (c && c.exitCode === null) c.kill("SIGKILL");
  };
  process.once("exit", killAll);
  const stop = async (): Promise<void> => {
    await halt(apiserver);
    await halt(etcd);
    process.removeListener("exit", killAll);
    if (!process.env["VIPMESH_KEEP_KUBE_DIR"]) rmSync(dir, { recursive: true, force: true });
  };
  try {
    const pki = makeKubePki(dir, [host, ...(options.extraSans ?? [])]);
    const [etcdPort, peerPort, port] = [await freePort("127.0.0.1"), await freePort("127.0.0.1"), await freePort(host)];
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const peerUrl = `http://127.0.0.1:${peerPort}`;
    mkdirSync(join(dir, "etcd"), { mode: 0o700 });
    etcd = launch(
      bin.etcd,
      [
        "--name=test", `--data-dir=${join(dir, "etcd")}`, `--listen-client-urls=${etcdUrl}`, `--advertise-client-urls=${etcdUrl}`,
        `--listen-peer-urls=${peerUrl}`, `--initial-advertise-peer-urls=${peerUrl}`, `--initial-cluster=test=${peerUrl}`,
        "--unsafe-no-fsync", "--log-level=warn",
      ],
      join(dir, "etcd.log"),
    );
    const url = `https://${host.includes(":") ? `[${host}]` : host}:${port}`;
    const apiLog = join(dir, "kube-apiserver.log");
    const apiArgs = [
      `--etcd-servers=${etcdUrl}`, `--bind-address=${host}`, `--advertise-address=${host}`, `--secure-port=${port}`,
      `--tls-cert-file=${pki.serverCert}`, `--tls-private-key-file=${pki.serverKey}`, `--client-ca-file=${pki.caCert}`,
      `--service-account-issuer=https://kubernetes.default.svc.cluster.local`, `--service-account-key-file=${pki.serviceAccountPub}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`, "--service-cluster-ip-range=10.96.0.0/16",
      "--authorization-mode=Node,RBAC", "--allow-privileged=true", "--profiling=false", `--cert-dir=${join(dir, "certs")}`,
      ...(options.apiServerArgs ?? []),
    ];
    const startApiServer = async (): Promise<void> => {
      apiserver = launch(bin.kubeApiServer, apiArgs, apiLog);
      await waitHealthy(url, pki, "/readyz", timeoutMs, () => apiserver, apiLog);
    };
    await startApiServer();
    const kubeconfig = join(dir, "kubeconfig");
    writeFileSync(kubeconfig, adminKubeconfig(pki, url), { mode: 0o600 });
    const kubectl = (args: string[], opts: { input?: string } = {}): Promise<KubectlResult> => runKubectl(bin.kubectl, kubeconfig, args, opts.input);
    const crdDir = options.crdDir === undefined ? DEFAULT_CRD_DIR : options.crdDir;
    if (crdDir !== null) await installCrds(kubectl, crdDir);
    return { url, host, port, dir, kubeconfig, kubectl, stopApiServer: () => halt(apiserver), startApiServer, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** `kubectl apply -f <dir>`, then wait until every CRD in it is Established and served. */
export async function installCrds(kubectl: KubeApiServer["kubectl"], dir: string): Promise<string[]> {
  const applied = await kubectl(["apply", "--server-side", "-f", dir, "-o", "name"]);
  if (applied.code !== 0) throw new Error(`kubectl apply -f ${dir} failed:\n${applied.stderr}`);
  const names = applied.stdout.split("\n").filter((l) => l.startsWith("customresourcedefinition"));
  const wait = await kubectl(["wait", "--for=condition=Established", "--timeout=60s", ...names]);
  if (wait.code !== 0) throw new Error(`CRDs not Established:\n${wait.stderr}`);
  // Established can precede the resource appearing in discovery by a moment; kubectl apply needs discovery.
  const resources = names.map((n) => n.replace(/^customresourcedefinition[^/]*\//, ""));
  for (let i = 0; ; i++) {
    const got = await kubectl(["get", resources.join(","), "-A", "-o", "name"]);
    if (got.code === 0) return resources;
    if (i >= 50) throw new Error(`CRDs not served:\n${got.stderr}`);
    await sleep(200);
  }
}

/** The CRD file names in a dir (for tests that check each one). */
export function crdFiles(dir = DEFAULT_CRD_DIR): string[] {
  return readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort();
}
