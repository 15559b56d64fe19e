import { Agent, type RequestOptions } from "node:https";
import {
  ApiException,
  createConfiguration,
  PatchStrategy,
  ServerConfiguration,
  type Configuration,
  setHeaderOptions,
  type RequestContext,
} from "@kubernetes/client-node";
import type { KubeCredentials } from "./credentials.js";
import { KubeApiError } from "./http.js";

// The generated API clients of @kubernetes/client-node (CoreV1Api, CustomObjectsApi, ...) take a Configuration whose
// "default" auth method is called before every request. The library's own (KubeConfig) puts a new https.Agent on
// each request, so each one would open a new TCP connection and TLS handshake (docs/kubernetes.md has the
// measurement). This one applies the same credentials through `applyTo`, which also hands out the shared keep-alive
// agent, and gives every request a deadline (the generated clients have none).

export const REQUEST_TIMEOUT_MS = 30_000;

export function apiConfiguration(server: string, applyTo: (opts: RequestOptions) => Promise<void>): Configuration {
  const auth = {
    getName: () => "vipmesh",
    applySecurityAuthentication: async (ctx: RequestContext): Promise<void> => {
      const opts: RequestOptions = { headers: {} };
      await applyTo(opts);
      for (const [key, value] of Object.entries(opts.headers ?? {})) if (value !== undefined) ctx.setHeaderParam(key, String(value));
      if (opts.auth) ctx.setHeaderParam("Authorization", `Basic ${Buffer.from(opts.auth).toString("base64")}`);
      if (opts.agent instanceof Agent) ctx.setAgent(opts.agent);
      ctx.setSignal(AbortSignal.timeout(REQUEST_TIMEOUT_MS));
    },
  };
  return createConfiguration({ baseServer: new ServerConfiguration(server, {}), authMethods: { default: auth } });
}

const configurations = new WeakMap<KubeCredentials, Configuration>();
/** For the library's generated API clients (`new CoreV1Api(apiConfigurationOf(kc))`): these credentials, the shared agent. */
export function apiConfigurationOf(kc: KubeCredentials): Configuration {
  let c = configurations.get(kc);
  if (!c) configurations.set(kc, (c = apiConfiguration(kc.server, kc.applyTo)));
  return c;
}

/** Per-call options that send the body as a JSON merge patch (the generated clients default to JSON patch). */
export const mergePatch = setHeaderOptions("Content-Type", PatchStrategy.MergePatch);

/** Runs one generated-client call; an HTTP error becomes a KubeApiError with the status and the server's reason and message. */
export async function kubeCall<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (!(err instanceof ApiException)) throw err;
    const body = (typeof err.body === "string" ? safeJson(err.body) : err.body) as { reason?: string; message?: string } | undefined;
    throw new KubeApiError(err.code, body?.reason ?? "Unknown", `${what}: ${err.code} ${body?.message ?? ""}`.trim());
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return { message: text };
  }
}
