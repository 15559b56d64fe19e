import { accessSync, constants, readFileSync } from "node:fs";
import type { RequestOptions } from "node:https";
import { dirname, isAbsolute, join } from "node:path";
import { parse } from "yaml";
import { AgentCache } from "./agentCache.js";
import { SERVICE_ACCOUNT_DIR, type CredentialSource } from "./credentialSource.js";
import type { KubeCredentials } from "./credentials.js";

// The credentials most processes have (in-cluster service-account token, or a kubeconfig whose user is a token,
// a token file, a client certificate or a username and password), applied without @kubernetes/client-node. Loading
// the library costs a process about 40 MB of RSS (826 modules; `npm run bench -- speaker-memory --kube`), and a
// speaker needs it for nothing else. Anything this does not understand (exec plugins, auth providers, impersonation,
// proxies, tls-server-name, several kubeconfig files, a file it cannot read or parse) returns null, and the library's loader
// (./credentials.ts) takes it, with its specific errors. test/unit/kube-plain-credentials.test.ts checks that both
// put the same TLS material and headers on a request.

type Rec = Record<string, unknown>;
const isRecord = (v: unknown): v is Rec => typeof v === "object" && v !== null && !Array.isArray(v);
const str = (r: Rec, k: string): string | undefined => (typeof r[k] === "string" && r[k] !== "" ? (r[k] as string) : undefined);
const named = (list: unknown, name: string): Rec | undefined => {
  const entry = Array.isArray(list) ? list.find((e) => isRecord(e) && e["name"] === name) : undefined;
  return isRecord(entry) ? entry : undefined;
};

/** Keys this reader applies; a user or cluster with any other key goes to the library. */
const USER_KEYS = new Set(["token", "token-file", "client-certificate", "client-certificate-data", "client-key", "client-key-data", "username", "password"]);
const CLUSTER_KEYS = new Set(["server", "certificate-authority", "certificate-authority-data", "insecure-skip-tls-verify"]);

/** What a request needs, with file contents read when applied (a rotated certificate or token is picked up). */
type Plain = {
  server: string;
  ca?: () => Buffer;
  cert?: () => Buffer;
  key?: () => Buffer;
  insecure: boolean;
  authorization?: () => string;
  basic?: string;
};

const TOKEN_FILE_REREAD_MS = 60_000;
/** A token file read at most once a minute, as the library's token-file provider does. */
function tokenFromFile(path: string): () => string {
  let token = "";
  let readAt = -Infinity;
  return () => {
    const now = Date.now();
    if (now - readAt >= TOKEN_FILE_REREAD_MS) {
      token = readFileSync(path, "utf8").trim();
      readAt = now;
    }
    return `Bearer ${token}`;
  };
}

const readable = (path: string): boolean => {
  try {
    accessSync(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
};

/** Unreadable: the library's loader names the file. */
const UNREADABLE = Symbol("unreadable");

const fromFileOrData = (dir: string, r: Rec, file: string, data: string): (() => Buffer) | undefined | typeof UNREADABLE => {
  const d = str(r, data);
  if (d !== undefined) {
    const bytes = Buffer.from(d, "base64");
    return () => bytes;
  }
  const f = str(r, file);
  if (f === undefined) return undefined;
  const path = isAbsolute(f) ? f : join(dir, f);
  return readable(path) ? () => readFileSync(path) : UNREADABLE;
};

function fromKubeconfig(path: string): { plain: Plain; context: string } | null {
  let doc: unknown;
  try {
    doc = parse(readFileSync(path, "utf8"));
  } catch {
    return null;
  }
  if (!isRecord(doc)) return null;
  const contextName = str(doc, "current-context");
  const context = contextName === undefined ? undefined : named(doc["contexts"], contextName)?.["context"];
  if (!isRecord(context) || Object.keys(context).some((k) => !["cluster", "user", "namespace"].includes(k))) return null;
  const cluster = named(doc["clusters"], String(context["cluster"]))?.["cluster"];
  const user = named(doc["users"], String(context["user"]))?.["user"];
  if (!isRecord(cluster) || !isRecord(user)) return null;
  if (Object.keys(user).some((k) => !USER_KEYS.has(k)) || Object.keys(cluster).some((k) => !CLUSTER_KEYS.has(k))) return null;
  const server = str(cluster, "server");
  if (server === undefined || !server.startsWith("https://")) return null;
  const dir = dirname(path);
  const cert = fromFileOrData(dir, user, "client-certificate", "client-certificate-data");
  const key = fromFileOrData(dir, user, "client-key", "client-key-data");
  const ca = fromFileOrData(dir, cluster, "certificate-authority", "certificate-authority-data");
  if (cert === UNREADABLE || key === UNREADABLE || ca === UNREADABLE || Boolean(cert) !== Boolean(key)) return null;
  const token = str(user, "token");
  const rawTokenFile = str(user, "token-file");
  const tokenFile = rawTokenFile === undefined ? undefined : isAbsolute(rawTokenFile) ? rawTokenFile : join(dir, rawTokenFile);
  if (tokenFile !== undefined && !token && !readable(tokenFile)) return null;
  const username = str(user, "username");
  const password = str(user, "password");
  if (!token && !tokenFile && !cert && !(username && password)) return null;
  // The library prefers a token to a token file, and sends basic auth only when there is no token.
  const authorization = token ? () => `Bearer ${token}` : tokenFile ? tokenFromFile(tokenFile) : undefined;
  const plain: Plain = {
    server: server.replace(/\/$/, ""),
    insecure: cluster["insecure-skip-tls-verify"] === true,
    ...(ca ? { ca } : {}),
    ...(cert && key ? { cert, key } : {}),
    ...(authorization ? { authorization } : !token && username && password ? { basic: `${username}:${password}` } : {}),
  };
  return { plain, context: contextName ?? "" };
}

function inCluster(root: string, env: NodeJS.ProcessEnv): Plain | null {
  const host = env["KUBERNETES_SERVICE_HOST"];
  const port = env["KUBERNETES_SERVICE_PORT"];
  const dir = `${root}${SERVICE_ACCOUNT_DIR}`;
  if (!host || !port || !readable(`${dir}/token`) || !readable(`${dir}/ca.crt`)) return null;
  const caBytes = (): Buffer => readFileSync(`${dir}/ca.crt`);
  return { server: `https://${host.includes(":") ? `[${host}]` : host}:${port}`, ca: caBytes, insecure: false, authorization: tokenFromFile(`${dir}/token`) };
}

function credentials(p: Plain, source: string): KubeCredentials {
  const agents = new AgentCache();
  const applyTo = async (opts: RequestOptions): Promise<void> => {
    if (p.ca) opts.ca = p.ca();
    if (p.cert && p.key) {
      opts.cert = p.cert();
      opts.key = p.key();
    }
    if (p.insecure) opts.rejectUnauthorized = false;
    const headers = (opts.headers ?? {}) as Record<string, string>;
    if (p.authorization) headers["Authorization"] = p.authorization().trim();
    opts.headers = headers;
    if (p.basic) opts.auth = p.basic;
    agents.reuse(opts);
  };
  return { server: p.server, source, applyTo };
}

/**
 * Credentials from `source` without the Kubernetes library, or null when it needs the library (or is broken: the
 * library's loader then says how). `root` prefixes the service-account directory, for tests.
 */
export function plainCredentials(source: CredentialSource, env: NodeJS.ProcessEnv = process.env, root = ""): KubeCredentials | null {
  if (source === null) return null;
  if (source.kind === "in-cluster") {
    const p = inCluster(root, env);
    return p && credentials(p, "in-cluster");
  }
  const path = source.kind === "kubeconfig" ? source.path : source.paths.length === 1 ? source.paths[0] : undefined;
  const read = path === undefined ? null : fromKubeconfig(path);
  return read && credentials(read.plain, `kubeconfig ${path}, context "${read.context}"`);
}
