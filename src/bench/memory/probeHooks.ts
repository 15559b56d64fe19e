// Loader hooks of probe.ts: every module URL loaded is posted to the main thread.
import type { MessagePort } from "node:worker_threads";

let port: MessagePort | null = null;

export function initialize(data: { port: MessagePort }): void {
  port = data.port;
}

type LoadContext = { format?: string | null };
type LoadResult = { format: string; source?: unknown };

export async function load(url: string, context: LoadContext, next: (url: string, context: LoadContext) => Promise<LoadResult>): Promise<LoadResult> {
  if (!url.startsWith("node:")) port?.postMessage(url);
  return next(url, context);
}
