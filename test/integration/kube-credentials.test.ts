import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import tls from "node:tls";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";
import { AuthenticationV1Api, CoreV1Api } from "@kubernetes/client-node";
import { apiConfigurationOf, kubeCall } from "../../src/kube/apiClient.js";
import { credentialsFromKubeconfig, type KubeCredentials } from "../../src/kube/credentials.js";
import { KubeApiError, kubeWatch, type WatchLine } from "../../src/kube/http.js";
import { startKubeApiServer, type KubeApiServer } from "../../src/testing/kubeApiServer.js";

// Credentials the hand-written client could not use, against a real etcd + kube-apiserver: an exec credential
// plugin (a shell script printing a service-account token) for the library's generated clients and for a watch, a
// rotated plugin token, a token-file, and `as` impersonation. The API server says who it took us for
// (SelfSubjectReview, created through AuthenticationV1Api on the credentials' configuration).

let api: KubeApiServer;
let dir: string;
const tokens: Record<string, string> = {};

async function ok(args: string[]): Promise<string> {
  const r = await api.kubectl(args);
  expect(r.code, `kubectl ${args.join(" ")}:\n${r.stderr}`).toBe(0);
  return r.stdout;
}

beforeAll(async () => {
  api = await startKubeApiServer({ crdDir: null });
  dir = mkdtempSync(join(tmpdir(), "vipmesh-kubecreds-"));
  for (const sa of ["plugin-a", "plugin-b"]) {
    await ok(["create", "serviceaccount", sa, "-n", "default"]);
    tokens[sa] = (await ok(["create", "token", sa, "-n", "default", "--duration=1h"])).trim();
  }
  await ok(["create", "clusterrole", "impersonator", "--verb=impersonate", "--resource=users"]);
  await ok(["create", "clusterrolebinding", "plugin-a-impersonates", "--clusterrole=impersonator", "--serviceaccount=default:plugin-a"]);
  // (not the aggregated `view`: no controller-manager runs to fill it in)
  await ok(["create", "clusterrole", "configmap-reader", "--verb=get,list,watch", "--resource=configmaps"]);
  await ok(["create", "clusterrolebinding", "plugin-a-reads", "--clusterrole=configmap-reader", "--serviceaccount=default:plugin-a"]);
  // The exec plugin prints whatever token is in `exec-token` when it runs.
  writeFileSync(
    join(dir, "plugin.sh"),
    `#!/bin/sh\nprintf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s"}}' "$(cat "${join(dir, "exec-token")}")"\n`,
  );
  chmodSync(join(dir, "plugin.sh"), 0o755);
}, 120_000);

afterAll(async () => {
  await api?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function kubeconfig(name: string, user: Record<string, unknown>): string {
  const path = join(dir, name);
  const doc = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "test", cluster: { server: api.url, "certificate-authority": join(api.dir, "ca.crt") } }],
    users: [{ name: "someone", user }],
    contexts: [{ name: "test", context: { cluster: "test", user: "someone" } }],
    "current-context": "test",
  };
  writeFileSync(path, stringify(doc));
  return path;
}

const execUser = { exec: { apiVersion: "client.authentication.k8s.io/v1", command: "./plugin.sh", interactiveMode: "Never" } };

/** The user the API server takes these credentials for. */
async function whoAmI(kc: KubeCredentials): Promise<string> {
  const api = new AuthenticationV1Api(apiConfigurationOf(kc));
  const review = await kubeCall("create SelfSubjectReview", () => api.createSelfSubjectReview({ body: { apiVersion: "authentication.k8s.io/v1", kind: "SelfSubjectReview" } }));
  return review.status?.userInfo?.username ?? "";
}

describe("credentials against kube-apiserver", () => {
  it("sends the token an exec plugin prints, and the plugin's new token after it rotates", async () => {
    const kc = credentialsFromKubeconfig(kubeconfig("exec", execUser));
    writeFileSync(join(dir, "exec-token"), tokens["plugin-a"] ?? "");
    expect(await whoAmI(kc)).toBe("system:serviceaccount:default:plugin-a");
    writeFileSync(join(dir, "exec-token"), tokens["plugin-b"] ?? "");
    expect(await whoAmI(kc)).toBe("system:serviceaccount:default:plugin-b");
  });

  it("watches with the exec plugin's token", async () => {
    writeFileSync(join(dir, "exec-token"), tokens["plugin-a"] ?? "");
    const kc = credentialsFromKubeconfig(kubeconfig("exec-watch", execUser));
    const stop = new AbortController();
    const seen: WatchLine[] = [];
    const watching = kubeWatch(kc, "/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=30", (e) => {
      seen.push(e);
      if ((e.object["metadata"] as { name?: string } | undefined)?.name === "watched") stop.abort();
    }, stop.signal).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 500)); // the watch is established
    await ok(["create", "configmap", "watched", "-n", "default", "--from-literal=k=v"]);
    const timer = setTimeout(() => stop.abort(), 10_000);
    expect(await watching).toBeUndefined();
    clearTimeout(timer);
    expect(seen.map((e) => [e.type, (e.object["metadata"] as { name: string }).name])).toContainEqual(["ADDED", "watched"]);
  });

  it("acts as the user's `as` (Impersonate-User)", async () => {
    writeFileSync(join(dir, "exec-token"), tokens["plugin-a"] ?? "");
    expect(await whoAmI(credentialsFromKubeconfig(kubeconfig("as", { ...execUser, as: "alice" })))).toBe("alice");
  });

  it("reads a token-file (relative to the kubeconfig, trailing newline and all)", async () => {
    writeFileSync(join(dir, "sa-token"), `${tokens["plugin-b"] ?? ""}\n`);
    expect(await whoAmI(credentialsFromKubeconfig(kubeconfig("token-file", { "token-file": "sa-token" })))).toBe("system:serviceaccount:default:plugin-b");
  });

  it("makes the generated clients' calls over one kept-alive connection (the library alone opens one per call)", async () => {
    writeFileSync(join(dir, "exec-token"), tokens["plugin-a"] ?? "");
    const kc = credentialsFromKubeconfig(kubeconfig("reuse", execUser));
    const core = new CoreV1Api(apiConfigurationOf(kc));
    let connects = 0;
    const connect = tls.connect;
    (tls as { connect: typeof tls.connect }).connect = ((...args: Parameters<typeof tls.connect>) => {
      connects++;
      return connect(...args);
    }) as typeof tls.connect;
    try {
      for (let i = 0; i < 20; i++) await kubeCall("list ConfigMaps", () => core.listNamespacedConfigMap({ namespace: "default" }));
    } finally {
      (tls as { connect: typeof tls.connect }).connect = connect;
    }
    expect(connects).toBe(1);
  });

  it("gets 401 for a token the API server does not accept", async () => {
    writeFileSync(join(dir, "exec-token"), "not-a-token");
    const err = await whoAmI(credentialsFromKubeconfig(kubeconfig("bad", execUser))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KubeApiError);
    expect((err as KubeApiError).status).toBe(401);
  });
});
