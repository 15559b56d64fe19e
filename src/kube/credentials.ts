import { existsSync, readFileSync } from "node:fs";
import { dirname, isAbsolute, join } from "node:path";
import { parse } from "yaml";

// Whether vipmesh runs against Kubernetes, and how to reach it: an explicit --kubeconfig, else $KUBECONFIG, else
// in-cluster service-account credentials; none: the file source. Only what vipmesh needs of a kubeconfig is read
// (server, CA, client certificate/key or bearer token). (@kubernetes/client-node v2 pulls undici 8, which does not
// load on Node 20, so the API is spoken with node:https.)

export type KubeCredentials = {
  server: string;
  ca: Buffer | null;
  cert: Buffer | null;
  key: Buffer | null;
  token: (() => string) | null;
  insecure: boolean;
  /** The kubeconfig user's `as`: act as this user (Impersonate-User), e.g. a component's service account. */
  impersonate: string | null;
};

export class KubeConfigError extends Error {
  readonly code = "INVALID_KUBECONFIG";
}

const SA_DIR = "/var/run/secrets/kubernetes.io/serviceaccount";

type Named<T> = { name: string } & T;
type RawConfig = {
  "current-context"?: string;
  clusters?: Named<{ cluster: Record<string, string | boolean | undefined> }>[];
  users?: Named<{ user: Record<string, string | undefined> }>[];
  contexts?: Named<{ context: { cluster: string; user: string } }>[];
};

function material(entry: Record<string, string | boolean | undefined>, field: string, base: string): Buffer | null {
  const data = entry[`${field}-data`];
  if (typeof data === "string") return Buffer.from(data, "base64");
  const file = entry[field];
  if (typeof file === "string") return readFileSync(isAbsolute(file) ? file : join(base, file));
  return null;
}

export function credentialsFromKubeconfig(path: string): KubeCredentials {
  const raw = parse(readFileSync(path, "utf8")) as RawConfig;
  const ctx = raw.contexts?.find((c) => c.name === raw["current-context"])?.context ?? raw.contexts?.[0]?.context;
  const cluster = raw.clusters?.find((c) => c.name === ctx?.cluster)?.cluster ?? raw.clusters?.[0]?.cluster;
  const user = raw.users?.find((u) => u.name === ctx?.user)?.user ?? {};
  if (!cluster || typeof cluster["server"] !== "string") throw new KubeConfigError(`${path}: no cluster with a server in the current context`);
  const base = dirname(path);
  const token = typeof user["token"] === "string" ? user["token"] : null;
  return {
    server: cluster["server"].replace(/\/$/, ""),
    ca: material(cluster, "certificate-authority", base),
    cert: material(user, "client-certificate", base),
    key: material(user, "client-key", base),
    token: token === null ? null : () => token,
    insecure: cluster["insecure-skip-tls-verify"] === true,
    impersonate: typeof user["as"] === "string" ? user["as"] : null,
  };
}

export function loadKubeCredentials(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): KubeCredentials | null {
  const file = explicit ?? env["KUBECONFIG"]?.split(":")[0];
  if (file !== undefined && file !== "") return credentialsFromKubeconfig(file);
  const host = env["KUBERNETES_SERVICE_HOST"];
  if (!host || !existsSync(`${SA_DIR}/token`)) return null;
  const port = env["KUBERNETES_SERVICE_PORT"] ?? "443";
  return {
    server: `https://${host.includes(":") ? `[${host}]` : host}:${port}`,
    ca: readFileSync(`${SA_DIR}/ca.crt`),
    cert: null,
    key: null,
    // Projected tokens rotate: read the file for every request.
    token: () => readFileSync(`${SA_DIR}/token`, "utf8").trim(),
    insecure: false,
    impersonate: null,
  };
}
