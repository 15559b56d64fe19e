import { accessSync, constants, readFileSync } from "node:fs";
import type { RequestOptions } from "node:https";
import { delimiter, dirname, isAbsolute, join } from "node:path";
import { KubeConfig, type Cluster, type User } from "@kubernetes/client-node";
import { parse } from "yaml";
import { AgentCache } from "./agentCache.js";
import { credentialSource } from "./credentialSource.js";
import { plainCredentials } from "./plainCredentials.js";

// Whether vipmesh runs against Kubernetes, and how to reach it: an explicit --kubeconfig, else $KUBECONFIG, else
// in-cluster service-account credentials; none: the file source. @kubernetes/client-node's KubeConfig does the
// credentials (CA, client certificates, tokens, token files, exec plugins, auth providers, `as`, proxy-url); its
// generated API clients make the calls (apiConfigurationOf in ./apiClient.ts), and the informers' lists and watches
// go over node:https (./http.ts), all through one keep-alive agent. The common cases are read without the library
// first (./plainCredentials.ts, by loadKubeCredentials), so a speaker does not load it. Pinned to 1.4.0: 2.x pulls undici 8, which does not load on Node 20.

export type KubeCredentials = {
  /** The API server's URL, without a trailing slash. */
  readonly server: string;
  /** Where the credentials come from (kubeconfig path and context, or in-cluster), for messages. */
  readonly source: string;
  /**
   * Adds TLS material, an agent and authentication (client certificate, bearer token, token file, exec plugin,
   * Impersonate-User) to one request's options. Call it for every request: exec and file tokens rotate, and they
   * are refreshed here.
   */
  readonly applyTo: (opts: RequestOptions) => Promise<void>;
};

/** The kubeconfig (or in-cluster environment) is unusable: missing file, unknown context, user without credentials. */
export class KubeConfigError extends Error {
  readonly code = "INVALID_KUBECONFIG";
}

/** Getting credentials for a request failed (an exec plugin exited non-zero, a token file went away). */
export class KubeAuthError extends Error {
  readonly code = "KUBE_AUTH";
}


const message = (err: unknown): string => (err instanceof Error ? err.message : String(err));
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
const absolute = (dir: string, file: string): string => (isAbsolute(file) ? file : join(dir, file));

/**
 * Resolves what the library would leave relative to the working directory, as kubectl does: `token-file` and an
 * exec `command` containing a slash are relative to the kubeconfig. A `token-file` becomes the library's tokenFile
 * provider, which re-reads it every minute (the library reads a plain `token-file` once, at load).
 */
function localizeUser(user: Record<string, unknown>, dir: string): void {
  const tokenFile = user["token-file"];
  if (typeof tokenFile === "string" && user["token"] === undefined && user["auth-provider"] === undefined) {
    user["auth-provider"] = { name: "tokenFile", config: { tokenFile: absolute(dir, tokenFile) } };
    delete user["token-file"];
  }
  const exec = user["exec"];
  if (isRecord(exec) && typeof exec["command"] === "string" && exec["command"].includes("/")) exec["command"] = absolute(dir, exec["command"]);
}

function readKubeconfig(path: string): KubeConfig {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new KubeConfigError(code === "ENOENT" ? `kubeconfig ${path}: no such file` : `kubeconfig ${path}: ${message(err)}`);
  }
  const kc = new KubeConfig();
  try {
    const doc: unknown = parse(text);
    if (!isRecord(doc)) throw new Error("not a YAML mapping");
    const users = Array.isArray(doc["users"]) ? (doc["users"] as unknown[]) : [];
    for (const u of users) if (isRecord(u) && isRecord(u["user"])) localizeUser(u["user"], dirname(path));
    kc.loadFromString(JSON.stringify(doc));
    kc.makePathsAbsolute(dirname(path));
  } catch (err) {
    throw new KubeConfigError(`kubeconfig ${path}: ${message(err)}`);
  }
  return kc;
}

/** $KUBECONFIG's files, merged as kubectl does: the first file to set a name (or current-context) wins. */
function readKubeconfigs(paths: string[]): KubeConfig {
  const configs = paths.map(readKubeconfig);
  const [first, ...rest] = configs as [KubeConfig, ...KubeConfig[]];
  for (const kc of rest) {
    if (!first.currentContext) first.currentContext = kc.currentContext;
    for (const c of kc.clusters) if (!first.clusters.some((x) => x.name === c.name)) first.addCluster(c);
    for (const u of kc.users) if (!first.users.some((x) => x.name === u.name)) first.addUser(u);
    for (const c of kc.contexts) if (!first.contexts.some((x) => x.name === c.name)) first.addContext(c);
  }
  return first;
}

function readable(source: string, what: string, file: string | undefined): void {
  if (!file) return;
  try {
    accessSync(file, constants.R_OK);
  } catch (err) {
    throw new KubeConfigError(`${source}: ${what} ${file}: ${(err as NodeJS.ErrnoException).code ?? message(err)}`);
  }
}

/** Whether the user can authenticate (a client certificate is checked to come with its key before this). */
function hasCredentials(user: User): boolean {
  return Boolean(user.token || user.exec || user.authProvider || (user.username && user.password) || user.certData || user.certFile);
}

/** The current context's cluster and user, checked: each named thing exists and the user can authenticate. */
function selected(kc: KubeConfig, source: string): { cluster: Cluster; user: User; context: string } {
  const name = kc.getCurrentContext();
  if (!name) throw new KubeConfigError(`${source}: no current-context`);
  const ctx = kc.getContextObject(name);
  if (!ctx) throw new KubeConfigError(`${source}: current-context "${name}" is not among the contexts [${kc.contexts.map((c) => c.name).join(", ")}]`);
  const cluster = kc.getCluster(ctx.cluster);
  if (!cluster) throw new KubeConfigError(`${source}: context "${name}" names cluster "${ctx.cluster}", which is not defined`);
  if (!cluster.server.startsWith("https://")) throw new KubeConfigError(`${source}: cluster "${cluster.name}" server ${cluster.server} is not https`);
  if (!ctx.user) throw new KubeConfigError(`${source}: context "${name}" has no user`);
  const user = kc.getUser(ctx.user);
  if (!user) throw new KubeConfigError(`${source}: context "${name}" names user "${ctx.user}", which is not defined`);
  const cert = Boolean(user.certData || user.certFile);
  if (cert !== Boolean(user.keyData || user.keyFile)) throw new KubeConfigError(`${source}: user "${user.name}" has a client certificate or key without the other`);
  if (!hasCredentials(user)) {
    throw new KubeConfigError(`${source}: user "${user.name}" has no credentials (token, token-file, exec, auth-provider, client certificate and key, or username and password)`);
  }
  readable(source, `cluster "${cluster.name}" certificate-authority`, cluster.caFile);
  readable(source, `user "${user.name}" client-certificate`, user.certFile);
  readable(source, `user "${user.name}" client-key`, user.keyFile);
  readable(source, `user "${user.name}" token-file`, (user.authProvider as { config?: { tokenFile?: string } } | undefined)?.config?.tokenFile);
  return { cluster, user, context: name };
}

function credentials(kc: KubeConfig, origin: string): KubeCredentials {
  const { cluster, user, context } = selected(kc, origin);
  const source = `${origin}, context "${context}"`;
  const agents = new AgentCache();
  const server = cluster.server.replace(/\/$/, "");
  const applyTo = async (opts: RequestOptions): Promise<void> => {
    try {
      await kc.applyToHTTPSOptions(opts);
    } catch (err) {
      throw new KubeAuthError(`${source}: credentials of user "${user.name}": ${message(err).trim() || "failed"}`);
    }
    // A token file (or plugin output) ending in a newline must not end up in the header.
    const headers = opts.headers;
    if (isRecord(headers) && typeof headers["Authorization"] === "string") headers["Authorization"] = headers["Authorization"].trim();
    agents.reuse(opts);
  };
  return { server, source, applyTo };
}

/** Credentials of a kubeconfig file's current context. Throws KubeConfigError naming what is missing or wrong. */
export function credentialsFromKubeconfig(path: string): KubeCredentials {
  return credentials(readKubeconfig(path), `kubeconfig ${path}`);
}

/**
 * --kubeconfig, else $KUBECONFIG (its files merged), else in-cluster credentials when `env` has
 * KUBERNETES_SERVICE_HOST and the service-account token exists; else null. (The library's loadFromCluster reads
 * the API server's address from process.env.)
 */
export function loadKubeCredentials(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): KubeCredentials | null {
  const source = credentialSource(explicit, env);
  if (source === null) return null;
  const plain = plainCredentials(source, env);
  if (plain) return plain;
  if (source.kind === "kubeconfig") return credentialsFromKubeconfig(source.path);
  const files = source.kind === "kubeconfigs" ? source.paths : [];
  if (files.length > 0) return credentials(readKubeconfigs(files), files.length === 1 ? `kubeconfig ${files[0]}` : `$KUBECONFIG ${files.join(delimiter)}`);
  return inClusterCredentials();
}

/** The pod's service account (token re-read every minute, so projected tokens rotate); `root` prefixes its dir, for tests. */
export function inClusterCredentials(root = ""): KubeCredentials {
  for (const v of ["KUBERNETES_SERVICE_HOST", "KUBERNETES_SERVICE_PORT"]) {
    if (!process.env[v]) throw new KubeConfigError(`in-cluster: ${v} is not set`);
  }
  const kc = new KubeConfig();
  kc.loadFromCluster(root);
  return credentials(kc, "in-cluster");
}
