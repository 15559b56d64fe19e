import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import type { RequestOptions } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { stringify } from "yaml";
import { credentialsFromKubeconfig, inClusterCredentials, loadKubeCredentials, type KubeCredentials } from "../../src/kube/credentials.js";
import { plainCredentials } from "../../src/kube/plainCredentials.js";

// The credentials read without @kubernetes/client-node (src/kube/plainCredentials.ts) put on a request exactly what
// the library's loader puts there, for each kind of user they take; everything else is left to the library (null).

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "vipmesh-plaincreds-"));
  writeFileSync(join(dir, "ca.crt"), "CA-FROM-FILE");
  writeFileSync(join(dir, "client.crt"), "CERT-FROM-FILE");
  writeFileSync(join(dir, "client.key"), "KEY-FROM-FILE");
  writeFileSync(join(dir, "token"), "token-from-file\n");
});
afterEach(() => {
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
});

const b64 = (s: string): string => Buffer.from(s).toString("base64");

function kubeconfig(user: Record<string, unknown>, cluster: Record<string, unknown> = {}, extra: Record<string, unknown> = {}): string {
  const doc = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:6443/", "certificate-authority-data": b64("CA"), ...cluster } }],
    users: [{ name: "u", user }],
    contexts: [{ name: "ctx", context: { cluster: "c", user: "u" } }],
    "current-context": "ctx",
    ...extra,
  };
  const path = join(dir, "config");
  writeFileSync(path, stringify(doc));
  return path;
}

const text = (v: unknown): string | undefined => (v === undefined ? undefined : Buffer.isBuffer(v) ? v.toString() : String(v));

/** What a request gets from the credentials, in comparable form. */
async function onRequest(kc: KubeCredentials): Promise<Record<string, string | boolean | undefined>> {
  const opts: RequestOptions = { method: "GET", headers: { accept: "application/json" } };
  await kc.applyTo(opts);
  const headers = opts.headers as Record<string, unknown>;
  return {
    ca: text(opts.ca),
    cert: text(opts.cert),
    key: text(opts.key),
    rejectUnauthorized: opts.rejectUnauthorized === false ? false : true,
    authorization: text(headers["Authorization"]),
    basic: text(opts.auth),
    agent: opts.agent !== undefined,
  };
}

describe("kubeconfig users read without the library", () => {
  const users: [string, Record<string, unknown>, Record<string, unknown>?][] = [
    ["a token", { token: "t0k" }],
    ["a token file, relative to the kubeconfig", { "token-file": "token" }],
    ["a client certificate and key from files", { "client-certificate": "client.crt", "client-key": "client.key" }],
    ["a client certificate and key inline", { "client-certificate-data": b64("C2"), "client-key-data": b64("K2") }],
    ["a token and a client certificate", { token: "both", "client-certificate-data": b64("C3"), "client-key-data": b64("K3") }],
    ["a username and password", { username: "admin", password: "s3cret" }],
    ["a CA file", { token: "t" }, { "certificate-authority-data": undefined, "certificate-authority": "ca.crt" }],
    ["no CA check", { token: "t" }, { "certificate-authority-data": undefined, "insecure-skip-tls-verify": true }],
  ];

  it.each(users)("%s: what the library's loader puts on a request", async (_name, user, cluster) => {
    const path = kubeconfig(user, cluster ?? {});
    const plain = plainCredentials({ kind: "kubeconfig", path });
    expect(plain).not.toBeNull();
    const library = credentialsFromKubeconfig(path);
    expect(plain?.server).toBe(library.server);
    expect(plain?.source).toBe(library.source);
    expect(await onRequest(plain as KubeCredentials)).toEqual(await onRequest(library));
  });

  it("loadKubeCredentials takes them without the library", () => {
    const path = kubeconfig({ token: "t" });
    expect(loadKubeCredentials(path)?.source).toBe(`kubeconfig ${path}, context "ctx"`);
  });
});

describe("left to the library (null), which then applies them or says what is wrong", () => {
  const cases: [string, () => string][] = [
    ["an exec plugin", () => kubeconfig({ exec: { apiVersion: "client.authentication.k8s.io/v1", command: "/bin/true" } })],
    ["an auth provider", () => kubeconfig({ "auth-provider": { name: "oidc", config: {} } })],
    ["impersonation", () => kubeconfig({ token: "t", as: "alice" })],
    ["a proxy", () => kubeconfig({ token: "t" }, { "proxy-url": "http://198.18.0.9:3128" })],
    ["a TLS server name", () => kubeconfig({ token: "t" }, { "tls-server-name": "kubernetes" })],
    ["a missing token file", () => kubeconfig({ "token-file": "gone" })],
    ["a missing client key file", () => kubeconfig({ "client-certificate": "client.crt", "client-key": "gone.key" })],
    ["a certificate without its key", () => kubeconfig({ "client-certificate-data": b64("C") })],
    ["a user without credentials", () => kubeconfig({})],
    ["a plain-http server", () => kubeconfig({ token: "t" }, { server: "http://127.0.0.1:8080" })],
    ["no current context", () => kubeconfig({ token: "t" }, {}, { "current-context": undefined })],
    ["a file that is not YAML", () => (writeFileSync(join(dir, "bad"), "clusters: [\n"), join(dir, "bad"))],
  ];
  it.each(cases)("%s", (_name, make) => {
    expect(plainCredentials({ kind: "kubeconfig", path: make() })).toBeNull();
  });

  it("several $KUBECONFIG files (merged by the library)", () => {
    expect(plainCredentials({ kind: "kubeconfigs", paths: [kubeconfig({ token: "t" }), kubeconfig({ token: "u" })] })).toBeNull();
  });
});

describe("in-cluster, without the library", () => {
  it("puts the service account's CA and token on a request as the library does, re-reading the token", async () => {
    const sa = join(dir, "var/run/secrets/kubernetes.io/serviceaccount");
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, "ca.crt"), "CLUSTER-CA");
    writeFileSync(join(sa, "token"), "sa-token");
    const env = { KUBERNETES_SERVICE_HOST: "fd00:10:96::1", KUBERNETES_SERVICE_PORT: "443" };
    vi.stubEnv("KUBERNETES_SERVICE_HOST", env.KUBERNETES_SERVICE_HOST);
    vi.stubEnv("KUBERNETES_SERVICE_PORT", env.KUBERNETES_SERVICE_PORT);
    const plain = plainCredentials({ kind: "in-cluster" }, env, dir);
    const library = inClusterCredentials(dir);
    expect(plain?.server).toBe("https://[fd00:10:96::1]:443");
    expect(plain?.server).toBe(library.server);
    expect(await onRequest(plain as KubeCredentials)).toEqual(await onRequest(library));
    vi.useFakeTimers({ now: Date.now(), toFake: ["Date"] });
    try {
      writeFileSync(join(sa, "token"), "rotated");
      vi.setSystemTime(Date.now() + 61_000);
      expect((await onRequest(plain as KubeCredentials)).authorization).toBe("Bearer rotated");
    } finally {
      vi.useRealTimers();
    }
  });

  it("is left to the library when the token or CA is missing", () => {
    expect(plainCredentials({ kind: "in-cluster" }, { KUBERNETES_SERVICE_HOST: "10.96.0.1", KUBERNETES_SERVICE_PORT: "443" }, dir)).toBeNull();
  });
});
