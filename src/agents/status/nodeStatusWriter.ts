import { jetstream, jetstreamManager, type JetStreamManager } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { closeNats, connectUnlessStopped, DEFAULT_PING_INTERVAL_MS } from "../../adapters/nats/connect.js";
import type { NatsClientSecurity } from "../../adapters/nats/security.js";
import { followStream } from "../../adapters/nats/follow.js";
import { SnapshotStore } from "../../adapters/nats/snapshots.js";
import { Rerunner } from "../rerunner.js";
import { resolveStart } from "../host/startPoint.js";
import { SpeakerView } from "../speaker/view.js";
import { STREAMS } from "../../events/types.js";
import type { MembershipSettings } from "../../projections/settings.js";
import type { KubeCredentials } from "../../kube/credentials.js";
import { Informer } from "../../kube/informer.js";
import type { PeerBfdStatus } from "../speaker/bfdStatus.js";
import { bgpStatusBody, wantedBgpStatuses } from "../../projections/kubeStatus/bgpWanted.js";
import { l2StatusBody, wantedL2Statuses } from "../../projections/kubeStatus/l2Wanted.js";
import { NODE_LABEL } from "../../projections/kubeStatus/nodeStatus.js";
import { BGP_KIND, createStatusObject, deleteStatusObject, L2_KIND, patchStatusObject, statusCollection, statusDiffers, type StatusKind, type WantedObject } from "../../adapters/kube/status/statusObjects.js";

// A speaker's ServiceL2Status and ServiceBGPStatus objects: one per Service it answers for in layer 2 (with the
// interfaces) and one per Service it advertises over BGP (with the peers and their BFD state), created when it
// starts, updated when the interfaces, peers or BFD states change (BFD is read at each reconcile, at least every
// retryMs), deleted when it stops. It follows both logs itself (EVENTS for ownership and
// configuration, HEARTBEATS for its own interfaces and liveness) and writes only at the head of EVENTS, so a speaker
// cut off from the log never writes an old view back. Each speaker writes only its own objects (label per node).

export type NodeStatusOptions = {
  kc: KubeCredentials;
  natsServers: string[];
  /** Credentials and TLS for NATS (src/adapters/nats/security.ts); anonymous without. */
  natsSecurity?: NatsClientSecurity;
  namespace: string;
  node: string;
  membership: MembershipSettings;
  /** The snapshot bucket's replica count (the speaker's --replicas): the writer starts from the newest snapshot. */
  replicas: number;
  log: Logger;
  retryMs?: number;
  /** The speaker's live BFD state per peer (bfdStatus.ts), shown in ServiceBGPStatus; read on every reconcile. */
  bfdStatus?: () => Readonly<Record<string, PeerBfdStatus>>;
};

type Part = { kind: StatusKind; objects: Informer; wanted: (view: SpeakerView, node: string) => Map<string, WantedObject> };

const asObjects = <W extends WantedObject["id"]>(m: Map<string, W>, body: (w: W) => Record<string, unknown>): Map<string, WantedObject> =>
  new Map([...m].map(([name, w]) => [name, { id: w, status: body(w) }]));

export async function runNodeStatusWriter(opts: NodeStatusOptions, signal: AbortSignal): Promise<void> {
  const { node, log } = opts;
  const nc = await connectUnlessStopped({ servers: opts.natsServers, ...(opts.natsSecurity ? { security: opts.natsSecurity } : {}), name: `vipmesh-nodestatus-${node}`, pingIntervalMs: DEFAULT_PING_INTERVAL_MS, log, signal });
  if (!nc) return;
  const js = jetstream(nc);
  const jsm = await jetstreamManager(nc);
  await streamsExist(jsm, signal);
  // Starts from the newest snapshot the speakers save, so a long log is not replayed from its first message.
  const start = await resolveStart(jsm, await SnapshotStore.open(nc, "speaker"), log);
  const view = new SpeakerView(opts.membership, () => undefined, start.state);
  // The informers call schedule; `runner` exists before any of them runs.
  const schedule = (): void => runner.schedule();
  const selector = `?labelSelector=${encodeURIComponent(`${NODE_LABEL}=${node}`)}`;
  const informer = (k: StatusKind): Informer =>
    new Informer({ kind: k.kind, apiVersion: "metallb.io/v1beta1", path: `${statusCollection(k, opts.namespace)}${selector}` }, opts.kc, schedule, log);
  const parts: Part[] = [
    { kind: L2_KIND, objects: informer(L2_KIND), wanted: (v, n) => asObjects(wantedL2Statuses(v.log, v.members, n), l2StatusBody) },
    { kind: BGP_KIND, objects: informer(BGP_KIND), wanted: (v, n) => asObjects(wantedBgpStatuses(v.log, v.members, n), (w) => bgpStatusBody(w, opts.bfdStatus?.())) },
  ];

  /** Both logs caught up, this node heard from, and nothing newer on EVENTS than the view has. */
  const current = async (): Promise<boolean> => {
    if (!view.ready || !view.members.nodes[node] || !parts.every((p) => p.objects.synced)) return false;
    return (await jsm.streams.info(STREAMS.events)).state.last_seq === view.log.seq;
  };
  const reconcile = async (): Promise<void> => {
    if (!(await current())) return;
    for (const part of parts) {
      const wanted = part.wanted(view, node);
      for (const w of wanted.values()) {
        const o = part.objects.store.get(`${opts.namespace}/${w.id.name}`);
        if (!o) await createStatusObject(opts.kc, part.kind, opts.namespace, w);
        else if (statusDiffers(o, w.status) && !(await patchStatusObject(opts.kc, part.kind, o, w.status))) runner.rerun();
      }
      for (const o of part.objects.store.values()) if (!wanted.has(o.metadata.name)) await deleteStatusObject(opts.kc, part.kind, o);
    }
  };

  const runner = new Rerunner(reconcile, (err) => log.warn({ err: err.message }, "ServiceL2Status/ServiceBGPStatus not written; retrying"));

  // Heartbeats of other nodes change nothing here: only this node's own record (interfaces, liveness) is looked at.
  let self = "";
  const selfChanged = (): boolean => {
    const m = view.members.nodes[node];
    const key = m ? JSON.stringify([m.status, m.ready, m.incarnation, m.interfaces]) : "";
    if (key === self) return false;
    self = key;
    return true;
  };
  const stopFollow = new AbortController();
  const events = await followStream({
    nc, js, jsm, stream: STREAMS.events, start: { seq: start.state.seq + 1 }, maxBatch: 1_000, signal: stopFollow.signal,
    onBatch: (batch, caughtUp) => {
      view.applyLog(batch, caughtUp);
      schedule();
    },
  });
  const beats = await followStream({
    nc, js, jsm, stream: STREAMS.heartbeats, start: { sinceMs: 10_000 }, maxBatch: 1_000, signal: stopFollow.signal,
    onBatch: (batch, caughtUp) => {
      const wasReady = view.ready;
      view.applyHeartbeats(batch, caughtUp);
      if (selfChanged() || view.ready !== wasReady) schedule();
    },
  });
  if (events.initiallyCaughtUp) view.logCaughtUp = true;
  if (beats.initiallyCaughtUp) view.membersCaughtUp = true;
  const retry = setInterval(schedule, opts.retryMs ?? 2_000);
  try {
    await Promise.all(parts.map((p) => p.objects.run(signal)));
  } finally {
    clearInterval(retry);
    stopFollow.abort();
    await closeNats(nc);
    await Promise.allSettled([events.done, beats.done]);
  }
}

/** The speaker creates the streams; this writer waits for them rather than racing it. */
async function streamsExist(jsm: JetStreamManager, signal: AbortSignal): Promise<void> {
  for (const stream of [STREAMS.events, STREAMS.heartbeats]) {
    while (!signal.aborted) {
      try {
        await jsm.streams.info(stream);
        break;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
  }
}
