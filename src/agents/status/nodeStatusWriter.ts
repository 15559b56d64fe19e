import type { Logger } from "pino";
import { Rerunner } from "../rerunner.js";
import { STREAMS } from "../../events/types.js";
import type { KubeCredentials } from "../../kube/credentials.js";
import { Informer } from "../../kube/informer.js";
import type { PeerBfdStatus } from "../../projections/kubeStatus/peerBfdStatus.js";
import { bgpStatusBody, wantedBgpStatuses } from "../../projections/kubeStatus/bgpWanted.js";
import { l2StatusBody, wantedL2Statuses } from "../../projections/kubeStatus/l2Wanted.js";
import { NODE_LABEL } from "../../projections/kubeStatus/nodeStatus.js";
import { BGP_KIND, createStatusObject, deleteStatusObject, L2_KIND, patchStatusObject, statusCollection, statusDiffers, type StatusKind, type WantedObject } from "../../adapters/kube/status/statusObjects.js";
import type { LogHost } from "../host/logHost.js";
import type { AnnouncerDecisions } from "../speaker/decisions.js";
import type { SpeakerView } from "../speaker/view.js";

// A speaker's ServiceL2Status and ServiceBGPStatus objects: one per Service it answers for in layer 2 (with the
// interfaces) and one per Service it advertises over BGP (with the peers and their BFD state), created when it
// starts, updated when the interfaces, peers or BFD states change (BFD is read at each reconcile, at least every
// retryMs), deleted when it stops. It renders what the speaker's announcers were told (AnnouncerDecisions, handed
// over in the same process: the VIPs answered and the BGP plan sent), never a plan of its own, and reads the
// process's log host for the rest (the configuration's Services) and writes only at the head of EVENTS, so a speaker
// cut off from the log never writes an old view back. Each speaker writes only its own objects (label per node).

export type NodeStatusOptions = {
  kc: KubeCredentials;
  namespace: string;
  node: string;
  /** The speaker process's log host. */
  host: LogHost<SpeakerView>;
  /** What the node's announcers were told to do (the speaker of the same process decides, this writer renders). */
  decisions: AnnouncerDecisions;
  log: Logger;
  retryMs?: number;
  /** The speaker's live BFD state per peer (bfdStatus.ts), shown in ServiceBGPStatus; read on every reconcile. */
  bfdStatus?: () => Readonly<Record<string, PeerBfdStatus>>;
};

type Part = { kind: StatusKind; objects: Informer; wanted: () => Map<string, WantedObject> };

const asObjects = <W extends WantedObject["id"]>(m: Map<string, W>, body: (w: W) => Record<string, unknown>): Map<string, WantedObject> =>
  new Map([...m].map(([name, w]) => [name, { id: w, status: body(w) }]));

export async function runNodeStatusWriter(opts: NodeStatusOptions, signal: AbortSignal): Promise<void> {
  const { node, log, host, decisions } = opts;
  const view = host.view;
  // The informers call schedule; `runner` exists before any of them runs.
  const schedule = (): void => runner.schedule();
  const selector = `?labelSelector=${encodeURIComponent(`${NODE_LABEL}=${node}`)}`;
  const informer = (k: StatusKind): Informer =>
    new Informer({ kind: k.kind, apiVersion: "metallb.io/v1beta1", path: `${statusCollection(k, opts.namespace)}${selector}` }, opts.kc, schedule, log);
  const parts: Part[] = [
    { kind: L2_KIND, objects: informer(L2_KIND), wanted: () => asObjects(wantedL2Statuses(view.log, node, decisions.answering), l2StatusBody) },
    {
      kind: BGP_KIND, objects: informer(BGP_KIND),
      wanted: () => (decisions.bgpPlan ? asObjects(wantedBgpStatuses(view.log, view.planMembers, node, decisions.bgpPlan), (w) => bgpStatusBody(w, opts.bfdStatus?.())) : new Map()),
    },
  ];

  /** The view ready, this node known to its membership (heartbeats or verdicts), and nothing newer on EVENTS than the view has. */
  const current = async (): Promise<boolean> => {
    if (!view.ready || !view.planMembers.nodes[node] || !parts.every((p) => p.objects.synced)) return false;
    return (await host.jsm.streams.info(STREAMS.events)).state.last_seq === view.log.seq;
  };
  const reconcile = async (): Promise<void> => {
    if (!(await current())) return;
    for (const part of parts) {
      const wanted = part.wanted();
      for (const w of wanted.values()) {
        const o = part.objects.store.get(`${opts.namespace}/${w.id.name}`);
        if (!o) await createStatusObject(opts.kc, part.kind, opts.namespace, w);
        else if (statusDiffers(o, w.status) && !(await patchStatusObject(opts.kc, part.kind, o, w.status))) runner.rerun();
      }
      for (const o of part.objects.store.values()) if (!wanted.has(o.metadata.name)) await deleteStatusObject(opts.kc, part.kind, o);
    }
  };

  const runner = new Rerunner(reconcile, (err) => log.warn({ err: err.message }, "ServiceL2Status/ServiceBGPStatus not written; retrying"));

  // The decisions change with what the announcers do; a batch of EVENTS may change the Services a VIP belongs to.
  const unsubscribe = [decisions.onChange(schedule), host.subscribe({ events: schedule })];
  const retry = setInterval(schedule, opts.retryMs ?? 2_000);
  log.info({ node }, "node status writer started");
  try {
    await Promise.all(parts.map((p) => p.objects.run(signal)));
  } finally {
    clearInterval(retry);
    for (const u of unsubscribe) u();
  }
}
