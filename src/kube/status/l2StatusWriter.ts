import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { connectNats, DEFAULT_PING_INTERVAL_MS } from "../../adapters/nats/connect.js";
import { followStream } from "../../adapters/nats/follow.js";
import { decodeLogEntries } from "../../events/entries.js";
import { STREAMS } from "../../events/types.js";
import { applyLogBatch, unfrozenImmer } from "../../projections/batch.js";
import { emptyLogState, type LogState } from "../../projections/logState.js";
import type { KubeCredentials } from "../credentials.js";
import { isNotFound, KubeApiError, kubeRequest } from "../http.js";
import { Informer } from "../informer.js";
import { L2_NODE_LABEL, L2_SERVICE_NAME_LABEL, L2_SERVICE_NAMESPACE_LABEL, wantedL2Statuses, type L2StatusWanted } from "./l2Wanted.js";

// A speaker's ServiceL2Status objects: one per Service it announces in layer 2, created when it takes the VIP,
// deleted when it no longer owns it. Each speaker writes only its own (deterministic names, label per node).

export type L2StatusOptions = { kc: KubeCredentials; natsServers: string[]; namespace: string; node: string; log: Logger };

export async function runL2StatusWriter(opts: L2StatusOptions, signal: AbortSignal): Promise<void> {
  const nc = await connectNats({ servers: opts.natsServers, name: `vipmesh-l2status-${opts.node}`, pingIntervalMs: DEFAULT_PING_INTERVAL_MS });
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  await streamExists(jsm, signal);
  const base = `/apis/metallb.io/v1beta1/namespaces/${opts.namespace}/servicel2statuses`;
  // Replays EVENTS from the start (no snapshot: the bucket's replica count is the speaker's to choose).
  let log: LogState = emptyLogState();
  let atHead = false;
  let busy = false;
  let again = false;
  const reconcile = async (): Promise<void> => {
    if (!atHead || !objects.synced) return;
    const wanted = wantedL2Statuses(log, opts.node);
    for (const w of wanted.values()) if (!objects.store.has(`${opts.namespace}/${w.name}`)) await create(opts, base, w);
    for (const o of objects.store.values()) {
      if (wanted.has(o.metadata.name)) continue;
      await kubeRequest(opts.kc, { method: "DELETE", path: `${base}/${o.metadata.name}` }).catch((err: unknown) => {
        if (!isNotFound(err)) throw err;
      });
    }
  };
  const schedule = (): void => {
    if (busy) {
      again = true;
      return;
    }
    busy = true;
    void reconcile()
      .catch((err: unknown) => opts.log.warn({ err: (err as Error).message }, "ServiceL2Status not written; retrying"))
      .finally(() => {
        busy = false;
        if (again) {
          again = false;
          schedule();
        }
      });
  };
  const selector = encodeURIComponent(`${L2_NODE_LABEL}=${opts.node}`);
  const objects = new Informer({ kind: "ServiceL2Status", apiVersion: "metallb.io/v1beta1", path: `${base}?labelSelector=${selector}` }, opts.kc, schedule, opts.log);
  const stopFollow = new AbortController();
  const follower = await followStream({
    js, jsm, stream: STREAMS.events, start: { seq: log.seq + 1 }, maxBatch: 1_000, signal: stopFollow.signal,
    onBatch: (batch, caughtUp) => {
      log = applyLogBatch(log, decodeLogEntries(batch, () => undefined), unfrozenImmer);
      atHead = caughtUp;
      schedule();
    },
  });
  if (follower.initiallyCaughtUp) atHead = true;
  const retry = setInterval(schedule, 2_000);
  try {
    await objects.run(signal);
  } finally {
    clearInterval(retry);
    stopFollow.abort();
    await nc.drain().catch(() => undefined);
  }
}

/** The speaker creates the streams; this writer waits for them rather than racing it. */
async function streamExists(jsm: JetStreamManager, signal: AbortSignal): Promise<void> {
  while (!signal.aborted) {
    try {
      await jsm.streams.info(STREAMS.events);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function create(opts: L2StatusOptions, base: string, w: L2StatusWanted): Promise<void> {
  const labels = { [L2_NODE_LABEL]: w.node, [L2_SERVICE_NAME_LABEL]: w.serviceName, [L2_SERVICE_NAMESPACE_LABEL]: w.serviceNamespace };
  const body = { apiVersion: "metallb.io/v1beta1", kind: "ServiceL2Status", metadata: { name: w.name, namespace: opts.namespace, labels } };
  try {
    await kubeRequest(opts.kc, { method: "POST", path: base, body });
  } catch (err) {
    if (!(err instanceof KubeApiError && err.status === 409)) throw err;
  }
  const status = { node: w.node, serviceName: w.serviceName, serviceNamespace: w.serviceNamespace };
  await kubeRequest(opts.kc, { method: "PATCH", path: `${base}/${w.name}/status`, body: { status }, contentType: "application/merge-patch+json" });
}
