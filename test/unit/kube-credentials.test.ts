import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { RequestOptions } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { stringify } from "yaml";
import { credentialsFromKubeconfig, inClusterCredentials, KubeAuthError, KubeConfigError, loadKubeCredentials, type KubeCredentials } from "../../src/kube/credentials.js";

// Kubernetes credentials through @kubernetes/client-node's KubeConfig: what each kind of kubeconfig user puts on a
// request (TLS material, bearer token, token file, exec plugin, Impersonate-User), re-applied per request, and a
// specific KubeConfigError for each way a kubeconfig can be unusable. No API server here (see
// test/integration/kube-credentials.test.ts for that).

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "vipmesh-kubecreds-"));
});

afterEach(() => {
  vi.unstubAllEnvs();
  rmSync(dir, { recursive: true, force: true });
});

const b64 = (s: string): string => Buffer.from(s).toString("base64");

type UserEntry = Record<string, unknown>;

/** A kubeconfig with one cluster and one context; `user` is the user's entry, `extra` overrides top-level keys. */
function kubeconfig(user: UserEntry | null, extra: Record<string, unknown> = {}, file = "config"): string {
  const doc = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "c", cluster: { server: "https://127.0.0.1:6443/", "certificate-authority-data": b64("CA") } }],
    users: user === null ? [] : [{ name: "u", user }],
    contexts: [{ name: "ctx", context: { cluster: "c", user: "u" } }],
    "current-context": "ctx",
    ...extra,
  };
  const path = join(dir, file);
  writeFileSync(path, stringify(doc));
  return path;
}

async function applied(kc: KubeCredentials): Promise<RequestOptions & { headers: Record<string, unknown> }> {
  const opts: RequestOptions = { method: "GET", headers: { accept: "application/json" } };
  await kc.applyTo(opts);
  return opts as RequestOptions & { headers: Record<string, unknown> };
}

/** An exec credential plugin: prints the token in `tokenFile` (read when it runs) and counts its runs. */
function execPlugin(tokenFile: string): string {
  const script = join(dir, "plugin.sh");
  writeFileSync(
    script,
    [
      "#!/bin/sh",
      `echo run >> "${join(dir, "runs")}"`,
      `printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' "$(cat "${tokenFile}")"`,
      "",
    ].join("\n"),
  );
  chmodSync(script, 0o755);
  return script;
}

const runs = (): number => readFileSync(join(dir, "runs"), "utf8").split("\n").filter(Boolean).length;

describe("credentials from a kubeconfig", () => {
  it("takes the current context's server (no trailing slash) and CA", async () => {
    const kc = credentialsFromKubeconfig(kubeconfig({ token: "t0k" }));
    expect(kc.server).toBe("https://127.0.0.1:6443");
    expect(kc.source).toContain('context "ctx"');
    const opts = await applied(kc);
    expect(opts.ca?.toString()).toBe("CA");
    expect(opts.headers["Authorization"]).toBe("Bearer t0k");
    expect(opts.headers["accept"]).toBe("application/json");
  });

  it("applies a client certificate and key, from data or from files relative to the kubeconfig", async () => {
    mkdirSync(join(dir, "pki"));
    writeFileSync(join(dir, "pki/client.crt"), "CERT");
    writeFileSync(join(dir, "pki/client.key"), "KEY");
    const fromFiles = await applied(credentialsFromKubeconfig(kubeconfig({ "client-certificate": "pki/client.crt", "client-key": "pki/client.key" })));
    expect([fromFiles.cert?.toString(), fromFiles.key?.toString()]).toEqual(["CERT", "KEY"]);
    expect(fromFiles.headers["Authorization"]).toBeUndefined();
    const fromData = await applied(credentialsFromKubeconfig(kubeconfig({ "client-certificate-data": b64("C2"), "client-key-data": b64("K2") })));
    expect([fromData.cert?.toString(), fromData.key?.toString()]).toEqual(["C2", "K2"]);
  });

  it("sends the user's `as` as Impersonate-User", async () => {
    const opts = await applied(credentialsFromKubeconfig(kubeconfig({ token: "t", as: "system:serviceaccount:metallb-system:vipmesh-controller" })));
    expect(opts.headers["Impersonate-User"]).toBe("system:serviceaccount:metallb-system:vipmesh-controller");
  });

  it("skips TLS verification only when the cluster says insecure-skip-tls-verify", async () => {
    const secure = await applied(credentialsFromKubeconfig(kubeconfig({ token: "t" })));
    expect(secure.rejectUnauthorized).not.toBe(false);
    const clusters = [{ name: "c", cluster: { server: "https://127.0.0.1:6443", "insecure-skip-tls-verify": true } }];
    const insecure = await applied(credentialsFromKubeconfig(kubeconfig({ token: "t" }, { clusters })));
    expect(insecure.rejectUnauthorized).toBe(false);
  });

  it("reads a token-file relative to the kubeconfig, without its trailing newline", async () => {
    writeFileSync(join(dir, "token"), "from-file\n");
    const opts = await applied(credentialsFromKubeconfig(kubeconfig({ "token-file": "token" })));
    expect(opts.headers["Authorization"]).toBe("Bearer from-file");
  });

  it("runs an exec plugin for every request, so a rotated token is sent from the next request on", async () => {
    const tokenFile = join(dir, "exec-token");
    writeFileSync(tokenFile, "first");
    const kc = credentialsFromKubeconfig(kubeconfig({ exec: { apiVersion: "client.authentication.k8s.io/v1", command: execPlugin(tokenFile), interactiveMode: "Never" } }));
    expect((await applied(kc)).headers["Authorization"]).toBe("Bearer first");
    writeFileSync(tokenFile, "second");
    expect((await applied(kc)).headers["Authorization"]).toBe("Bearer second");
    expect(runs()).toBe(2);
  });

  it("resolves an exec command with a slash relative to the kubeconfig", async () => {
    writeFileSync(join(dir, "exec-token"), "rel");
    execPlugin(join(dir, "exec-token"));
    const kc = credentialsFromKubeconfig(kubeconfig({ exec: { apiVersion: "client.authentication.k8s.io/v1", command: "./plugin.sh" } }));
    expect((await applied(kc)).headers["Authorization"]).toBe("Bearer rel");
  });

  it("fails a request with KubeAuthError when the exec plugin fails, naming the user and its error", async () => {
    const script = join(dir, "fail.sh");
    writeFileSync(script, "#!/bin/sh\necho 'token expired, log in again' >&2\nexit 1\n");
    chmodSync(script, 0o755);
    const kc = credentialsFromKubeconfig(kubeconfig({ exec: { apiVersion: "client.authentication.k8s.io/v1", command: script } }));
    const err = await applied(kc).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeAuthError);
    expect((err as KubeAuthError).message).toMatch(/user "u".*token expired, log in again/);
    expect((err as KubeAuthError).code).toBe("KUBE_AUTH");
  });
});

describe("unusable kubeconfigs give a KubeConfigError naming the problem", () => {
  const cases: [string, () => string, RegExp][] = [
    ["a missing file", () => join(dir, "nope"), /kubeconfig .*nope: no such file/],
    ["a file that is not YAML", () => (writeFileSync(join(dir, "bad"), "clusters: [\n"), join(dir, "bad")), /kubeconfig .*bad: /],
    ["no current-context", () => kubeconfig({ token: "t" }, { "current-context": undefined }), /no current-context/],
    ["a current-context that does not exist", () => kubeconfig({ token: "t" }, { "current-context": "prod" }), /current-context "prod" is not among the contexts \[ctx\]/],
    ["a context naming an unknown cluster", () => kubeconfig({ token: "t" }, { contexts: [{ name: "ctx", context: { cluster: "other", user: "u" } }] }), /names cluster "other", which is not defined/],
    ["a context naming an unknown user", () => kubeconfig({ token: "t" }, { contexts: [{ name: "ctx", context: { cluster: "c", user: "ghost" } }] }), /names user "ghost", which is not defined/],
    ["a context without a user", () => kubeconfig({ token: "t" }, { contexts: [{ name: "ctx", context: { cluster: "c" } }] }), /context "ctx" has no user/],
    ["a user without credentials", () => kubeconfig({}), /user "u" has no credentials/],
    ["a user with only `as`", () => kubeconfig({ as: "someone" }), /user "u" has no credentials/],
    ["a client certificate without its key", () => kubeconfig({ "client-certificate-data": b64("C") }), /user "u" has a client certificate or key without the other/],
    ["a missing client-key file", () => kubeconfig({ "client-certificate-data": b64("C"), "client-key": "missing.key" }), /client-key .*missing\.key: ENOENT/],
    ["a missing token-file", () => kubeconfig({ "token-file": "missing-token" }), /token-file .*missing-token: ENOENT/],
    ["a missing certificate-authority", () => kubeconfig({ token: "t" }, { clusters: [{ name: "c", cluster: { server: "https://h", "certificate-authority": "ca.crt" } }] }), /certificate-authority .*ca\.crt: ENOENT/],
    ["a cluster without a server", () => kubeconfig({ token: "t" }, { clusters: [{ name: "c", cluster: {} }] }), /clusters\[0\]\.cluster\.server is missing/],
    ["a plain-http server", () => kubeconfig({ token: "t" }, { clusters: [{ name: "c", cluster: { server: "http://h:8080" } }] }), /server http:\/\/h:8080 is not https/],
  ];

  it.each(cases)("%s", (_name, make, pattern) => {
    const path = make();
    let err: unknown;
    try {
      credentialsFromKubeconfig(path);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(KubeConfigError);
    expect((err as KubeConfigError).code).toBe("INVALID_KUBECONFIG");
    expect((err as Error).message).toMatch(pattern);
  });
});

describe("choosing the credentials", () => {
  it("prefers --kubeconfig, then $KUBECONFIG, else (no in-cluster environment) none", () => {
    const a = kubeconfig({ token: "a" }, {}, "a");
    const b = kubeconfig({ token: "b" }, { clusters: [{ name: "c", cluster: { server: "https://b:6443" } }] }, "b");
    expect(loadKubeCredentials(a, { KUBECONFIG: b })?.server).toBe("https://127.0.0.1:6443");
    expect(loadKubeCredentials(undefined, { KUBECONFIG: b })?.server).toBe("https://b:6443");
    expect(loadKubeCredentials(undefined, {})).toBeNull();
  });

  it("merges $KUBECONFIG's files, the first to define a name or current-context winning (as kubectl)", async () => {
    const first = kubeconfig({ token: "first" }, { "current-context": undefined }, "first");
    const otherCluster = [{ name: "other", cluster: { server: "https://other:6443" } }];
    const second = kubeconfig({ token: "second" }, { clusters: otherCluster, contexts: [{ name: "ctx2", context: { cluster: "other", user: "u" } }], "current-context": "ctx2" }, "second");
    const kc = loadKubeCredentials(undefined, { KUBECONFIG: `${first}:${second}` });
    expect(kc?.server).toBe("https://other:6443");
    expect((await applied(kc as KubeCredentials)).headers["Authorization"]).toBe("Bearer first");
  });

  it("names a missing file of $KUBECONFIG", () => {
    expect(() => loadKubeCredentials(undefined, { KUBECONFIG: join(dir, "gone") })).toThrow(/kubeconfig .*gone: no such file/);
  });

  it("uses the pod's service account in-cluster, re-reading its token file", async () => {
    const sa = join(dir, "var/run/secrets/kubernetes.io/serviceaccount");
    mkdirSync(sa, { recursive: true });
    writeFileSync(join(sa, "ca.crt"), "CLUSTER-CA");
    writeFileSync(join(sa, "token"), "sa-token");
    vi.stubEnv("KUBERNETES_SERVICE_HOST", "fd00:10:96::1");
    vi.stubEnv("KUBERNETES_SERVICE_PORT", "443");
    const kc = inClusterCredentials(dir);
    expect(kc.server).toBe("https://[fd00:10:96::1]:443");
    const opts = await applied(kc);
    expect(opts.ca?.toString()).toBe("CLUSTER-CA");
    expect(opts.headers["Authorization"]).toBe("Bearer sa-token");
  });

  it("names what is missing in-cluster", () => {
    vi.stubEnv("KUBERNETES_SERVICE_HOST", "10.96.0.1");
    vi.stubEnv("KUBERNETES_SERVICE_PORT", "");
    expect(() => inClusterCredentials(dir)).toThrow(/in-cluster: KUBERNETES_SERVICE_PORT is not set/);
    vi.stubEnv("KUBERNETES_SERVICE_PORT", "443");
    expect(() => inClusterCredentials(dir)).toThrow(KubeConfigError);
    expect(() => inClusterCredentials(dir)).toThrow(/certificate-authority .*ca\.crt: ENOENT/);
  });
});
