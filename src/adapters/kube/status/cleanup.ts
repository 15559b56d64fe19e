import type { Logger } from "pino";
import type { LogState } from "../../../projections/logState.js";
import type { MembershipState } from "../../../projections/membership.js";
import type { KubeCredentials } from "../../../kube/credentials.js";
import { Informer } from "../../../kube/informer.js";
import { staleStatuses } from "../../../projections/kubeStatus/stale.js";
import { BGP_KIND, deleteStatusObject, L2_KIND, statusCollection, type StatusKind } from "./statusObjects.js";

// The controller's half of the status objects: it watches Nodes and every ServiceL2Status / ServiceBGPStatus and
// deletes those no speaker will (stale.ts has the rule). Preconditioned deletes: an object recreated or changed
// meanwhile is left alone, and a second controller deleting the same object gets 404 or 409, not a fight.

export class StatusCleanup {
  readonly nodes: Informer;
  private readonly kinds: { kind: StatusKind; objects: Informer }[];
  deleted = 0;

  constructor(
    private readonly kc: KubeCredentials,
    namespace: string,
    onChange: () => void,
    private readonly log: Logger,
  ) {
    this.nodes = new Informer({ kind: "Node", apiVersion: "v1", path: "/api/v1/nodes" }, kc, onChange, log);
    this.kinds = [L2_KIND, BGP_KIND].map((kind) => ({
      kind,
      objects: new Informer({ kind: kind.kind, apiVersion: "metallb.io/v1beta1", path: statusCollection(kind, namespace) }, kc, onChange, log),
    }));
  }

  get synced(): boolean {
    return this.nodes.synced && this.kinds.every((k) => k.objects.synced);
  }

  run(signal: AbortSignal): Promise<void[]> {
    return Promise.all([this.nodes.run(signal), ...this.kinds.map((k) => k.objects.run(signal))]);
  }

  /** Call only with a current view: EVENTS at its head, membership caught up, every informer synced. */
  async sweep(services: ReadonlySet<string>, log: LogState, members: MembershipState): Promise<void> {
    const nodes = new Set([...this.nodes.store.values()].map((n) => n.metadata.name));
    for (const { kind, objects } of this.kinds) {
      for (const s of staleStatuses(objects.store.values(), { nodes, services, log, members })) {
        if (!(await deleteStatusObject(this.kc, kind, s.object))) continue;
        this.deleted++;
        this.log.info({ kind: kind.kind, name: s.object.metadata.name, node: s.node, service: s.service, why: s.why }, "deleted a stale status object");
      }
    }
  }
}
