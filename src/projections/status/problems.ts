import { ipRecord } from "../ipam/state.js";
import type { ClusterStatus, NodeRow, StatusSettings, VipRow } from "./statusModel.js";
import type { StatusLog } from "./statusLog.js";

// What `vipmesh status` calls wrong (and exits 1 for), each with what it is about and why, in a stable order.

export const PROBLEM_CODES = [
  "vip-unowned", "vip-conflict", "node-fenced", "node-dead", "bgp-session-down", "pool-nearly-exhausted", "config-missing", "config-refused", "events-refused",
] as const;
export type ProblemCode = (typeof PROBLEM_CODES)[number];
export type Problem = { code: ProblemCode; about: string; detail: string };

/** How long before the log's head, in seconds (the pure core formats no dates: they need a time zone). */
const before = (now: number, at: number): string => `${(Math.max(0, now - at) / 1000).toFixed(1)} s before the log's head`;
const DOWN: ReadonlySet<string> = new Set(["dead", "left", "unheard"]);

export function findProblems(status: ClusterStatus, s: StatusLog, settings: StatusSettings): Problem[] {
  const nodes = new Map(status.nodes.map((n) => [n.node, n]));
  const problems: Problem[] = [];
  for (const v of status.vips) {
    const unowned = unownedProblem(v, nodes.get(v.owner ?? ""), s, settings, status.now);
    if (unowned) problems.push(unowned);
    if (v.conflict) problems.push({ code: "vip-conflict", about: v.vip, detail: `another MAC ${v.conflict.lastMac} answered for it (seen by ${v.conflict.lastNode}, ${v.conflict.reports} report(s), the last ${before(status.now, v.conflict.lastAt)})` });
  }
  for (const n of status.nodes) {
    if (n.fenced && n.status !== "left") problems.push({ code: "node-fenced", about: n.node, detail: `fenced itself (${n.fenced.reason}), published ${before(status.now, n.fenced.loggedAt)}; it answers for nothing until it leaves the fence` });
    if ((n.status === "dead" || n.status === "unheard") && !restartingAt(n, status.now)) {
      const heard = n.lastHeardAt === null ? "no heartbeat of it is retained" : `last heard ${before(status.now, n.lastHeardAt)}`;
      problems.push({ code: "node-dead", about: n.node, detail: `${n.status} and never left: ${heard}` });
    }
  }
  for (const b of status.bgp) {
    const n = nodes.get(b.node);
    if (!b.current || !n || DOWN.has(n.status)) continue;
    for (const session of b.sessions) {
      if (session.state === "established") continue;
      const bfd = session.bfd === undefined ? "" : `, BFD ${session.bfd.status}`;
      problems.push({ code: "bgp-session-down", about: `${b.node}/${session.peer}`, detail: `session to ${session.address} is ${session.state}${bfd} since ${before(status.now, session.since)} (by the node's clock)` });
    }
  }
  for (const p of status.pools) {
    if (p.usedPercent >= settings.poolWarnPercent) problems.push({ code: "pool-nearly-exhausted", about: p.pool, detail: `${p.usedPercent} % used (IPv4 ${p.v4.assigned} of ${p.v4.total}, IPv6 ${p.v6.assigned} of ${p.v6.total}); warning at ${settings.poolWarnPercent} %` });
  }
  if (s.log.config === null) problems.push({ code: "config-missing", about: "configuration", detail: "no configuration has been applied on the log: nothing is allocated or announced" });
  const refused = status.config.refusedSince;
  const configs = refused.first.filter((r) => r.type === "ConfigApplied");
  for (const r of configs) problems.push({ code: "config-refused", about: `EVENTS #${r.seq}`, detail: `configuration refused (${r.reason}): ${r.detail}; the last good one keeps serving` });
  const others = refused.count - configs.length;
  if (others > 0) {
    const reasons = [...new Set(refused.first.filter((r) => r.type !== "ConfigApplied").map((r) => r.reason))].join(", ");
    problems.push({ code: "events-refused", about: "log", detail: `${others} message(s) refused since the configuration in force (${reasons}); vipmesh replay shows each` });
  }
  return problems;
}

const restartingAt = (n: NodeRow, now: number): boolean => n.restartingUntil !== null && n.restartingUntil > now;

/** An L2 VIP nobody live answers for, once longer than the handover bound (a failover in progress is not yet one). */
function unownedProblem(v: VipRow, owner: NodeRow | undefined, s: StatusLog, settings: StatusSettings, now: number): Problem | null {
  if (!v.l2) return null;
  if (v.owner !== null && (v.ownerStatus === null || !DOWN.has(v.ownerStatus) || (owner && restartingAt(owner, now)))) return null;
  const since = unownedSince(v, owner, s, settings);
  if (now - since <= settings.handoverBoundMs) return null;
  const why = v.owner === null ? "never claimed" : `its owner ${v.owner} is ${v.ownerStatus ?? "unheard"}`;
  return { code: "vip-unowned", about: v.vip, detail: `no live owner: ${why}, for ${Math.round(now - since)} ms (bound ${settings.handoverBoundMs} ms)` };
}

/** Since when the VIP has had no live owner: its allocation, its owner's death (last beat + deadAfter) or leave. */
function unownedSince(v: VipRow, owner: NodeRow | undefined, s: StatusLog, settings: StatusSettings): number {
  if (v.owner === null) return ipRecord(s.log.ipam, v.vip)?.holders[0]?.since ?? 0;
  if (v.ownerStatus === "left") return s.leftAt[v.owner] ?? 0;
  const heard = owner?.lastHeardAt ?? null;
  return heard === null ? 0 : heard + settings.membership.deadAfterMs;
}
