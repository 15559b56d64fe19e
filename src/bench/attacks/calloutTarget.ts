import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { NatsClientSecurity } from "../../adapters/nats/security.js";
import { inboxPrefixOf } from "../../events/permissions.js";
import { vipmeshCliPath } from "../../lab/paths.js";
import { makeCalloutKeys } from "../../testing/calloutKeys.js";
import { startKubeApiServer, type KubeApiServer } from "../../testing/kubeApiServer.js";
import { startNatsServer, type NatsServer } from "../../testing/localNatsServer.js";
import { boundTokenIds, signBoundToken } from "../../testing/serviceAccountToken.js";

// The attacks on the speakers' NATS logins (auth callout): a real kube-apiserver with the chart's RBAC issuing
// ServiceAccount tokens, a real nats-server with auth_callout (xkey) and `vipmesh controller` answering it as the
// controller's ServiceAccount. Kept apart from the main target: the controller publishes the cluster's (empty)
// configuration, which would replace the file configuration the main target's agents serve.

const NS = "metallb-system";
const RBAC = fileURLToPath(new URL("../../../deploy/manifests/rbac.yaml", import.meta.url));

export type TokenKind = "speaker" | "other-service-account" | "other-audience" | "unbound" | "expired" | "deleted-pod";

export type CalloutTarget = {
  url: string;
  /** A speaker of `node`'s client: mutual TLS and the token in `tokenFile` (none: no token). */
  speaker(tokenFile: string | null, node: string): NatsClientSecurity;
  /** A token file of `kind`, as for a speaker Pod on `node` (node1 or node2). */
  token(kind: TokenKind, node: string): Promise<string>;
  /** The reasons of the logins the controller refused so far, in order (its `NATS login refused: <reason>` lines). */
  refusals(): string[];
  stop(): Promise<void>;
};

const OBJECTS = (nodes: string[]): string =>
  [
    `apiVersion: v1\nkind: ServiceAccount\nmetadata: { name: intruder, namespace: ${NS} }`,
    ...nodes.map((n) => JSON.stringify({ apiVersion: "v1", kind: "Node", metadata: { name: n } })),
    ...nodes.flatMap((n) => [pod(`speaker-${n}`, n, "vipmesh-speaker"), pod(`intruder-${n}`, n, "intruder"), pod(`gone-${n}`, n, "vipmesh-speaker")]),
  ].join("\n---\n");

const pod = (name: string, nodeName: string, sa: string): string =>
  JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name, namespace: NS }, spec: { nodeName, serviceAccountName: sa, automountServiceAccountToken: false, containers: [{ name: "c", image: "vipmesh:attack" }] } });

async function kubectl(api: KubeApiServer, args: string[], input?: string): Promise<string> {
  const r = await api.kubectl(args, input === undefined ? {} : { input });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

/** Collects the controller's refusal reasons; resolves once it logs `msg`. */
function watchController(child: ChildProcess, msg: string, ms: number, refusals: string[]): Promise<void> {
  let buffer = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`vipmesh controller did not log "${msg}" within ${ms} ms`)), ms);
    child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
      buffer += chunk;
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        const refused = /"msg":"NATS login refused: ([\w-]+)"/.exec(line);
        if (refused?.[1]) refusals.push(refused[1]);
        if (line.includes(`"msg":"${msg}"`)) {
          clearTimeout(timer);
          resolve();
        }
      }
    });
  });
}

export async function startCalloutTarget(): Promise<CalloutTarget> {
  const dir = mkdtempSync(join(tmpdir(), "vipmesh-attacks-callout-"));
  const api = await startKubeApiServer();
  let nats: NatsServer | null = null;
  let controller: ChildProcess | null = null;
  const refusals: string[] = [];
  const stop = async (): Promise<void> => {
    controller?.kill("SIGKILL");
    await nats?.stop();
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await kubectl(api, ["create", "namespace", NS]);
    await kubectl(api, ["apply", "-f", RBAC]);
    await kubectl(api, ["apply", "-f", "-"], OBJECTS(["node1", "node2"]));
    const keys = makeCalloutKeys(dir);
    nats = await startNatsServer({ authCallout: keys.server });
    const kubeconfig = join(dir, "controller.kubeconfig");
    writeFileSync(kubeconfig, readFileSync(api.kubeconfig, "utf8").replace("  user:\n", `  user:\n    as: system:serviceaccount:${NS}:vipmesh-controller\n`));
    controller = spawn(process.execPath, [
      vipmeshCliPath(), "controller", "--nats", nats.url, ...nats.cliArgs("controller"), "--kubeconfig", kubeconfig, "--id", "c1", "--metrics-port", "0",
      "--nats-callout-issuer-seed-file", keys.issuerSeedFile, "--nats-callout-xkey-seed-file", keys.xkeySeedFile,
    ], { stdio: ["ignore", "pipe", "ignore"] });
    await watchController(controller, "serving NATS auth callout for speakers", 60_000, refusals);
  } catch (err) {
    await stop();
    throw err;
  }
  const server = nats;
  const tls = server.client("reader").tls;
  let n = 0;
  const file = (token: string): string => {
    const path = join(dir, `token-${++n}`);
    writeFileSync(path, token.trim(), { mode: 0o600 });
    return path;
  };
  const create = async (sa: string, args: string[]): Promise<string> => file(await kubectl(api, ["create", "token", sa, "-n", NS, ...args]));
  const bound = (podName: string): string[] => ["--audience", "vipmesh-nats", "--bound-object-kind", "Pod", "--bound-object-name", podName];
  return {
    url: server.url,
    speaker: (tokenFile, node) => ({ auth: tokenFile === null ? null : { kind: "token", file: { path: tokenFile, source: "--nats-token-file" } }, tls, inboxPrefix: inboxPrefixOf("speaker", node) }),
    token: async (kind, node) => {
      switch (kind) {
        case "speaker":
          return create("vipmesh-speaker", bound(`speaker-${node}`));
        case "other-service-account":
          return create("intruder", bound(`intruder-${node}`));
        case "other-audience":
          return create("vipmesh-speaker", ["--audience", "https://kubernetes.default.svc", "--bound-object-kind", "Pod", "--bound-object-name", `speaker-${node}`]);
        case "unbound":
          return create("vipmesh-speaker", ["--audience", "vipmesh-nats"]);
        case "expired": {
          const ids = await boundTokenIds(api, NS, `speaker-${node}`, node, "vipmesh-speaker");
          return file(signBoundToken(api, { namespace: NS, audience: "vipmesh-nats", exp: Math.floor(Date.now() / 1000) - 5, ...ids }));
        }
        case "deleted-pod": {
          const token = await create("vipmesh-speaker", bound(`gone-${node}`));
          await kubectl(api, ["delete", "pod", "-n", NS, `gone-${node}`, "--grace-period=0", "--force"]);
          return token;
        }
      }
    },
    refusals: () => [...refusals],
    stop,
  };
}
