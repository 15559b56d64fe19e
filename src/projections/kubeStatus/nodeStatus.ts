import { createHash } from "node:crypto";
import type { ServiceConfig } from "../../config/types.js";
import { ownerHasLeft, type LogState } from "../logState.js";
import type { MemberRecord, MembershipState } from "../membership.js";

// What ServiceL2Status and ServiceBGPStatus have in common: one object per (node, Service), a deterministic name,
// labels naming both, and a status whose node and Service never change (the CRD makes them immutable).

export const NODE_LABEL = "metallb.io/node";
export const SERVICE_NAME_LABEL = "metallb.io/service-name";
export const SERVICE_NAMESPACE_LABEL = "metallb.io/service-namespace";

export type NodeServiceStatus = { name: string; node: string; serviceName: string; serviceNamespace: string };

/** "l2-…" / "bgp-…": the same node and Service always give the same name, so writers never create two. */
export function statusObjectName(prefix: "l2" | "bgp", node: string, service: string): string {
  return `${prefix}-${createHash("sha256").update(`${node}|${service}`).digest("hex").slice(0, 20)}`;
}

export function nodeServiceStatus(prefix: "l2" | "bgp", node: string, service: ServiceConfig): NodeServiceStatus {
  return { name: statusObjectName(prefix, node, `${service.namespace}/${service.name}`), node, serviceName: service.name, serviceNamespace: service.namespace };
}

export function statusLabels(s: NodeServiceStatus): Record<string, string> {
  return { [NODE_LABEL]: s.node, [SERVICE_NAME_LABEL]: s.serviceName, [SERVICE_NAMESPACE_LABEL]: s.serviceNamespace };
}

/**
 * Nodes whose speaker is running as far as the log can tell: heard from recently (alive or suspect) and not left
 * since. A node restarting in place is not running; a node never heard (or whose beats have expired) is not either.
 */
export function runningMembers(log: LogState, members: MembershipState): MemberRecord[] {
  return Object.values(members.nodes).filter((m) => m.status !== "dead" && !ownerHasLeft(log, m.node, m.incarnation));
}
