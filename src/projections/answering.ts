import { qualify } from "./eligibility.js";
import type { LogState } from "./logState.js";
import type { MembershipState } from "./membership.js";
import { interfacesOf } from "./nodeFacts.js";
import { vipCatalog } from "./vipCatalog.js";

/** VIP -> interface: what a node must answer for, derived from the log alone. */
export type AnswerSet = Map<string, string>;

export function answerSetFor(node: string, log: LogState, members: MembershipState): AnswerSet {
  const answers: AnswerSet = new Map();
  const member = members.nodes[node];
  if (!log.config || !member) return answers;
  for (const entry of vipCatalog(log)) {
    if (log.vips[entry.vip]?.owner !== node) continue;
    const q = qualify(entry, member, interfacesOf(log, member), log.config.config);
    if (q.ok) answers.set(entry.vip, q.interface);
  }
  return answers;
}

export type AnswerDiff = { start: [vip: string, iface: string][]; stop: [vip: string, iface: string][] };

/** Effects follow the projection: compare before and after, act on the difference only. */
export function diffAnswers(before: AnswerSet, after: AnswerSet): AnswerDiff {
  const start: AnswerDiff["start"] = [];
  const stop: AnswerDiff["stop"] = [];
  for (const [vip, iface] of after) if (before.get(vip) !== iface) start.push([vip, iface]);
  for (const [vip, iface] of before) if (after.get(vip) !== iface) stop.push([vip, iface]);
  return { start, stop };
}
