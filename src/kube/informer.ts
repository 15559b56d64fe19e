import type { Logger } from "pino";
import { setMaxListeners } from "node:events";
import { kubeRequest, kubeWatch } from "./http.js";
import { parseResourceVersion } from "./ingest/revisions.js";
import type { KubeCredentials } from "./credentials.js";

// List, then watch from the list's resourceVersion; keep a store of the objects. A watch that ends is resumed from
// the last resourceVersion seen; `410 Gone` (or any list/watch error) relists. A relist replaces the store only
// once the whole list has arrived, so readers never see a partial view. Events are applied in the order the API
// server sent them, one watch at a time, so no change is lost or reordered.

export type KubeObject = {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; resourceVersion?: string; uid?: string; labels?: Record<string, string>; annotations?: Record<string, string>; generation?: number };
  [field: string]: unknown;
};

export type ResourceRef = {
  /** The kind set on every stored object (list items carry none). */
  kind: string;
  apiVersion: string;
  /** Collection path, e.g. /api/v1/services or /apis/metallb.io/v1beta1/namespaces/metallb-system/ipaddresspools. */
  path: string;
};

export const objectKey = (o: KubeObject): string => `${o.metadata.namespace ?? ""}/${o.metadata.name}`;

/** client-go's default page size. */
export const DEFAULT_LIST_PAGE_SIZE = 500;

type WatchEvent = { type: string; object: KubeObject & { code?: number } };

export class Informer {
  store = new Map<string, KubeObject>();
  /** The resourceVersion this view of the kind has reached (list, event or bookmark). */
  revision = 0n;
  synced = false;
  relists = 0;
  /** List pages fetched so far. */
  pages = 0;
  private watch: AbortController | null = null;
  private relistWanted = true;
  private wake: (() => void) | null = null;

  constructor(
    readonly ref: ResourceRef,
    private readonly kc: KubeCredentials,
    private readonly onChange: () => void,
    private readonly log: Logger,
    private readonly pageSize = DEFAULT_LIST_PAGE_SIZE,
  ) {}

  /** Runs until `signal` aborts. */
  async run(signal: AbortSignal): Promise<void> {
    let backoff = 100;
    setMaxListeners(64, signal); // several informers and their requests share the agent's signal
    signal.addEventListener("abort", () => this.interrupt(), { once: true });
    while (!signal.aborted) {
      try {
        if (this.relistWanted) await this.list(signal);
        backoff = 100;
        await this.watchOnce(signal);
      } catch (err) {
        if (signal.aborted) break;
        this.relistWanted = true;
        this.log.warn({ kind: this.ref.kind, err: (err as Error).message }, "list/watch failed; relisting");
        await this.sleep(backoff + Math.random() * backoff);
        backoff = Math.min(backoff * 2, 5_000);
      }
    }
  }

  /** Drops the watch and lists again (a kind that is behind the log catches up this way). */
  relist(): void {
    this.relistWanted = true;
    this.interrupt();
  }

  /**
   * Resumes the watch from an older resourceVersion, as a replica that was away would (the API server answers
   * 410 Gone when it no longer has that history, and the informer relists). Used by tests of that path.
   */
  resumeFrom(revision: bigint): void {
    this.revision = revision;
    this.interrupt();
  }

  private interrupt(): void {
    this.watch?.abort();
    this.wake?.();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  /**
   * Lists in pages of `pageSize` (every page is from the same snapshot; an expired continue token is an error,
   * and the run loop lists again from the start). Large clusters never get one huge response.
   */
  private async list(signal: AbortSignal): Promise<void> {
    const store = new Map<string, KubeObject>();
    let token: string | undefined;
    let revision: string | undefined;
    do {
      const query = `${this.ref.path.includes("?") ? "&" : "?"}limit=${this.pageSize}${token ? `&continue=${encodeURIComponent(token)}` : ""}`;
      type Page = { metadata: { resourceVersion?: string; continue?: string }; items: KubeObject[] };
      const page = await kubeRequest<Page>(this.kc, { method: "GET", path: `${this.ref.path}${query}` }, signal);
      for (const item of page.items) store.set(objectKey(item), { ...item, kind: this.ref.kind, apiVersion: this.ref.apiVersion });
      revision = page.metadata.resourceVersion ?? revision;
      token = page.metadata.continue || undefined;
      this.pages++;
    } while (token);
    this.store = store;
    this.revision = parseResourceVersion(revision) ?? this.revision;
    this.relistWanted = false;
    this.relists++;
    this.synced = true;
    this.onChange();
  }

  private async watchOnce(signal: AbortSignal): Promise<void> {
    if (signal.aborted) return; // aborted during the list: its listener would never fire for this watch
    const stop = new AbortController();
    const abort = (): void => stop.abort();
    signal.addEventListener("abort", abort, { once: true });
    this.watch = stop;
    const query = `${this.ref.path.includes("?") ? "&" : "?"}watch=true&allowWatchBookmarks=true&timeoutSeconds=30&resourceVersion=${this.revision}`;
    try {
      await kubeWatch(this.kc, `${this.ref.path}${query}`, (e) => this.apply(e as WatchEvent), stop.signal);
    } catch (err) {
      if (!stop.signal.aborted) throw err;
    } finally {
      signal.removeEventListener("abort", abort);
      this.watch = null;
    }
  }

  private apply(event: WatchEvent): void {
    if (this.relistWanted) return;
    const obj = event.object;
    if (event.type === "ERROR") {
      // 410 Gone: the resourceVersion is too old to resume from; anything else is also answered by a relist.
      this.log.info({ kind: this.ref.kind, code: obj.code, gone: obj.code === 410 }, "watch error; relisting");
      this.relist();
      return;
    }
    const rv = parseResourceVersion(obj.metadata.resourceVersion);
    if (rv !== null && rv > this.revision) this.revision = rv;
    if (event.type === "BOOKMARK") return;
    if (event.type === "DELETED") this.store.delete(objectKey(obj));
    else this.store.set(objectKey(obj), { ...obj, kind: this.ref.kind, apiVersion: this.ref.apiVersion });
    this.onChange();
  }
}

