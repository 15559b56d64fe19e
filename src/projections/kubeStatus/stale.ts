import type { LogState } from "../logState.js";
import type { MembershipState } from "../membership.js";
import type { StoredObject as KubeObject } from "./storedObject.js";
import { NODE_LABEL, runningMembers, SERVICE_NAME_LABEL, SERVICE_NAMESPACE_LABEL } from "./nodeStatus.js";

// Which ServiceL2Status / ServiceBGPStatus objects the controller deletes (pure). A speaker deletes its own objects;
// the controller deletes only those no speaker will: never an object of a node whose speaker is running (heard
// from and not left, in the controller's membership view), because that speaker would create it again. Of a node
// without a running speaker, an object goes when
//   - the node is no Kubernetes Node (deleted, or never one): nobody will ever reconcile it;
//   - its Service does not exist any more (or is no LoadBalancer now);
//   - the node left the cluster (NodeLeft on the log, not heard from since): its VIPs have moved, and when it
//     comes back its speaker recreates what it then announces.
// A node that is dead without leaving (powered off, partitioned, restarting in place) keeps its objects: it may
// well come back to the same VIPs, and its speaker reconciles them when it does.

export type StaleStatus = { object: KubeObject; node: string; service: string; why: "node-gone" | "service-gone" | "node-left" };

export type ClusterFacts = {
  /** Names of the Kubernetes Nodes. */
  nodes: ReadonlySet<string>;
  /** "namespace/name" of every LoadBalancer Service in Kubernetes (one that changed its type is gone as well). */
  services: ReadonlySet<string>;
  log: LogState;
  members: MembershipState;
};

type StatusFields = { node?: string; serviceName?: string; serviceNamespace?: string };

/** The node and Service an object describes: its labels, else its status; null when it does not say (not ours). */
export function describedBy(o: KubeObject): { node: string; service: string } | null {
  const labels = o.metadata.labels ?? {};
  const status = (o["status"] ?? {}) as StatusFields;
  const node = labels[NODE_LABEL] ?? status.node;
  const name = labels[SERVICE_NAME_LABEL] ?? status.serviceName;
  const namespace = labels[SERVICE_NAMESPACE_LABEL] ?? status.serviceNamespace;
  if (!node || !name || !namespace) return null;
  return { node, service: `${namespace}/${name}` };
}

export function staleStatuses(objects: Iterable<KubeObject>, facts: ClusterFacts): StaleStatus[] {
  const running = new Set(runningMembers(facts.log, facts.members).map((m) => m.node));
  const stale: StaleStatus[] = [];
  for (const object of objects) {
    const d = describedBy(object);
    if (!d || running.has(d.node)) continue;
    const why = !facts.nodes.has(d.node) ? "node-gone" : !facts.services.has(d.service) ? "service-gone" : hasLeft(d.node, facts) ? "node-left" : null;
    if (why) stale.push({ object, ...d, why });
  }
  return stale;
}

/** The node's last known incarnation announced it was leaving (a later incarnation that died without leaving did not). */
function hasLeft(node: string, facts: ClusterFacts): boolean {
  const left = facts.log.left[node];
  return left !== undefined && left >= (facts.members.nodes[node]?.incarnation ?? 0);
}
