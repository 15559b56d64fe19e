import type { AnswerSet } from "../answering.js";
import type { LogState } from "../logState.js";
import { vipCatalog } from "../vipCatalog.js";
import { nodeServiceStatus, type NodeServiceStatus } from "./nodeStatus.js";

// Which ServiceL2Status objects a node should have (pure): one per Service holding a VIP the node answers for, naming
// the interfaces it answers on. The answers are the ones the speaker's announcer was given (answerSetFor, or none
// while fenced: the VIP's owner, qualified, on the interface in the VIP's subnet or else the one routing to it), so
// the status says what the node does.

export type L2StatusWanted = NodeServiceStatus & { interfaces: string[] };

export function wantedL2Statuses(log: LogState, node: string, answers: AnswerSet): Map<string, L2StatusWanted> {
  const wanted = new Map<string, L2StatusWanted>();
  if (answers.size === 0) return wanted;
  for (const entry of vipCatalog(log)) {
    const iface = answers.get(entry.vip);
    if (iface === undefined) continue;
    for (const service of entry.services) {
      const base = nodeServiceStatus("l2", node, service);
      const had = wanted.get(base.name);
      if (!had) wanted.set(base.name, { ...base, interfaces: [iface] });
      else if (!had.interfaces.includes(iface)) had.interfaces = [...had.interfaces, iface].sort();
    }
  }
  return wanted;
}

/** The object's status as the API server should hold it (MetalLB's shape: interfaces as `[{ name }]`). */
export function l2StatusBody(w: L2StatusWanted): Record<string, unknown> {
  return { node: w.node, serviceName: w.serviceName, serviceNamespace: w.serviceNamespace, interfaces: w.interfaces.map((name) => ({ name })) };
}
