import { request, type RequestOptions } from "node:https";
import { createInterface } from "node:readline";
import type { KubeCredentials } from "./credentials.js";

// Requests against the API server: one JSON request, or a watch (a stream of JSON lines), over node:https. The
// credentials are applied to every request, so exec-plugin and token-file tokens are refreshed as they rotate.

export class KubeApiError extends Error {
  readonly code = "KUBE_API";
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export type KubeRequest = { method: "GET" | "POST" | "PATCH" | "PUT" | "DELETE"; path: string; body?: unknown; contentType?: string };

/** One request's options: URL, headers and timeout here; TLS, agent and authentication from the credentials, fresh each time. */
async function options(kc: KubeCredentials, method: string, path: string, headers: Record<string, string>, timeout: number, signal?: AbortSignal): Promise<RequestOptions> {
  const url = new URL(`${kc.server}${path}`);
  const opts: RequestOptions = {
    method,
    protocol: "https:",
    hostname: url.hostname.replace(/^\[|\]$/g, ""),
    port: url.port || 443,
    path: `${url.pathname}${url.search}`,
    headers: { accept: "application/json", ...headers },
    ...(signal ? { signal } : {}),
    timeout,
  };
  await kc.applyTo(opts);
  return opts;
}

export async function kubeRequest<T = unknown>(kc: KubeCredentials, req: KubeRequest, signal?: AbortSignal): Promise<T> {
  const body = req.body === undefined ? undefined : JSON.stringify(req.body);
  const headers: Record<string, string> = body === undefined ? {} : { "content-type": req.contentType ?? "application/json" };
  const opts = await options(kc, req.method, req.path, headers, 30_000, signal);
  return new Promise<T>((resolve, reject) => {
    const r = request(opts, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("error", reject);
      res.on("end", () => {
        const text = Buffer.concat(chunks).toString("utf8");
        let json: unknown = {};
        try {
          json = text === "" ? {} : JSON.parse(text);
        } catch {
          json = { message: text };
        }
        const status = res.statusCode ?? 0;
        if (status >= 400) {
          const s = json as { reason?: string; message?: string };
          reject(new KubeApiError(status, s.reason ?? "Unknown", `${req.method} ${req.path}: ${status} ${s.message ?? ""}`));
        } else resolve(json as T);
      });
    });
    r.on("timeout", () => r.destroy(new Error(`${req.method} ${req.path}: timed out`)));
    r.on("error", reject);
    r.end(body);
  });
}

export type WatchLine = { type: string; object: Record<string, unknown> };

/** Streams one watch; resolves when the server ends it, rejects on a transport error or an HTTP error status. */
export async function kubeWatch(kc: KubeCredentials, path: string, onEvent: (e: WatchLine) => void, signal: AbortSignal): Promise<void> {
  // idle timeout 60 s: bookmarks and the server's timeoutSeconds keep a healthy watch talking
  const opts = await options(kc, "GET", path, {}, 60_000, signal);
  return new Promise<void>((resolve, reject) => {
    const r = request(opts, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 400) {
        res.resume();
        reject(new KubeApiError(status, status === 410 ? "Expired" : "Unknown", `watch ${path}: ${status}`));
        return;
      }
      const lines = createInterface({ input: res });
      lines.on("error", (err) => (signal.aborted ? resolve() : reject(err)));
      lines.on("line", (line) => {
        try {
          onEvent(JSON.parse(line) as WatchLine);
        } catch {
          // a line that is not JSON is skipped; the next relist repairs anything missed
        }
      });
      res.on("error", (err) => (signal.aborted ? resolve() : reject(err)));
      res.on("end", () => resolve());
      res.on("close", () => resolve());
    });
    r.on("timeout", () => r.destroy(new Error(`watch ${path}: idle`)));
    r.on("error", (err) => (signal.aborted ? resolve() : reject(err)));
    r.end();
  });
}

export const isConflict = (err: unknown): boolean => err instanceof KubeApiError && err.status === 409;
export const isGone = (err: unknown): boolean => err instanceof KubeApiError && err.status === 410;
export const isNotFound = (err: unknown): boolean => err instanceof KubeApiError && err.status === 404;
