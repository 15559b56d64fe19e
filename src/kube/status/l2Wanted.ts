import { createHash } from "node:crypto";
import { ipRecord } from "../../projections/ipam/state.js";
import type { LogState } from "../../projections/logState.js";

// Which ServiceL2Status objects a node should have: one per Service holding a VIP the node owns (pure).

export const L2_NODE_LABEL = "metallb.io/node";
export const L2_SERVICE_NAME_LABEL = "metallb.io/service-name";
export const L2_SERVICE_NAMESPACE_LABEL = "metallb.io/service-namespace";

export type L2StatusWanted = { name: string; node: string; serviceName: string; serviceNamespace: string };

export function l2StatusName(node: string, service: string): string {
  return `l2-${createHash("sha256").update(`${node}|${service}`).digest("hex").slice(0, 20)}`;
}

export function wantedL2Statuses(log: LogState, node: string): Map<string, L2StatusWanted> {
  const wanted = new Map<string, L2StatusWanted>();
  for (const [ip, record] of Object.entries(log.vips)) {
    if (record.owner !== node) continue;
    for (const holder of ipRecord(log.ipam, ip)?.holders ?? []) {
      const slash = holder.service.indexOf("/");
      const name = l2StatusName(node, holder.service);
      wanted.set(name, { name, node, serviceNamespace: holder.service.slice(0, slash), serviceName: holder.service.slice(slash + 1) });
    }
  }
  return wanted;
}
