import type { ClaimEvidence, ClaimReason } from "../events/types.js";
import type { ClusterConfig } from "../config/types.js";
import { memberFacts, preferenceScore, qualificationKey, qualifiesPerNode, qualifyFacts, type MemberFacts } from "./eligibility.js";
import { ownerHasLeft, type LogState } from "./logState.js";
import { memberStarved, type MemberRecord, type MembershipState } from "./membership.js";
import { interfacesOf } from "./nodeFacts.js";
import { rendezvousScore } from "./rendezvous.js";
import type { MembershipSettings } from "./settings.js";
import { vipCatalog, type VipEntry } from "./vipCatalog.js";

// Who should own each VIP, as a pure function of the two projections. Sticky: a live owner that still
// qualifies keeps its VIPs. A VIP that needs an owner goes to the eligible node with the fewest VIPs,
// ties broken by rendezvous hash, so VIPs of a lost node spread evenly and nothing else moves. A starved node
// (Lifeguard: it reports itself late, or the log stamps its beats late) takes no VIP from a dead owner until that
// owner is overdue (silent past maxDeadAfterMs): a healthy node takes it instead, or, if none, the VIP waits.

export type PlannedClaim = {
  vip: string;
  node: string;
  term: number;
  expectedSubjectSeq: number;
  reason: ClaimReason;
  evidence: ClaimEvidence;
};

type Ctx = { log: LogState; members: MembershipState; settings: MembershipSettings; facts: (m: MemberRecord, config: ClusterConfig) => MemberFacts };

/** Each member's facts, worked out once per plan (qualification asks for them once per VIP). */
function factsCache(log: LogState): Ctx["facts"] {
  const cache = new Map<string, MemberFacts>();
  return (m, config) => {
    let facts = cache.get(m.node);
    if (!facts) cache.set(m.node, (facts = memberFacts(m, interfacesOf(log, m), config)));
    return facts;
  };
}

function isLeft(ctx: Ctx, member: MemberRecord): boolean {
  return ownerHasLeft(ctx.log, member.node, member.incarnation);
}

/** The owner announced a restart in place for the incarnation that holds the VIP, and its grace has not run out. */
function restartingInPlace(ctx: Ctx, owner: string, claimIncarnation: number): boolean {
  const restart = ctx.log.restarting[owner];
  return restart !== undefined && restart.incarnation >= claimIncarnation && ctx.members.time <= restart.until;
}

function keeps(ctx: Ctx, entry: VipEntry, owner: string, claimIncarnation: number): boolean {
  const member = ctx.members.nodes[owner];
  if (!member || ownerHasLeft(ctx.log, owner, claimIncarnation) || isLeft(ctx, member)) return false;
  if (member.status === "dead" && !restartingInPlace(ctx, owner, claimIncarnation)) return false;
  return ctx.log.config !== null && qualifyFacts(entry, ctx.facts(member, ctx.log.config.config)).ok;
}

/**
 * Who may take VIPs at all (alive, past join hysteresis, not left), worked out once per plan rather than per VIP, and
 * which of them are starved. A plan for 10,000 orphaned VIPs otherwise looked at every member 10,000 times over.
 */
type TakerGroup = { facts: MemberFacts; nodes: string[] };
type Takers = { members: MemberFacts[]; starved: Set<string>; groups: TakerGroup[]; starvedGroups: TakerGroup[] };

function takersOf(ctx: Ctx, config: ClusterConfig): Takers {
  const members = Object.values(ctx.members.nodes).filter((m) => m.status === "alive" && m.streak >= ctx.settings.joinBeats && !isLeft(ctx, m));
  const starved = new Set(members.filter((m) => memberStarved(m)).map((m) => m.node));
  const grouped = new Map<string, TakerGroup>();
  const starvedGroups = new Map<string, TakerGroup>();
  const facts = members.map((m) => ctx.facts(m, config));
  for (const f of facts) {
    const into = starved.has(f.node) ? starvedGroups : grouped;
    const key = qualificationKey(f, config);
    const group = into.get(key);
    if (group) group.nodes.push(f.node);
    else into.set(key, { facts: f, nodes: [f.node] });
  }
  return { members: facts, starved, groups: [...grouped.values()], starvedGroups: [...starvedGroups.values()] };
}

/** The takers that qualify for the VIP: one check per group of alike members, or per member where the name matters. */
function candidates(takers: Takers, entry: VipEntry, starvedWait: boolean): string[] {
  const pool: string[] = [];
  if (qualifiesPerNode(entry)) {
    for (const m of takers.members) {
      if (starvedWait && takers.starved.has(m.node)) continue;
      if (qualifyFacts(entry, m).ok) pool.push(m.node);
    }
    return pool;
  }
  for (const g of starvedWait ? takers.groups : [...takers.groups, ...takers.starvedGroups]) {
    if (qualifyFacts(entry, g.facts).ok) pool.push(...g.nodes);
  }
  return pool;
}

/** Taking over from a dead owner that is not yet overdue: starved nodes wait (the claim's reason is owner-dead). */
export function starvedMustWait(members: MembershipState, reason: ClaimReason, owner: string | null): boolean {
  const record = owner === null ? undefined : members.nodes[owner];
  return reason === "owner-dead" && record !== undefined && record.status === "dead" && !record.overdue;
}

function reasonFor(ctx: Ctx, owner: string | null, claimIncarnation: number): { reason: ClaimReason; status: string | null } {
  if (owner === null) return { reason: "unowned", status: null };
  const member = ctx.members.nodes[owner];
  if (ownerHasLeft(ctx.log, owner, claimIncarnation) || (member && isLeft(ctx, member))) return { reason: "owner-left", status: "left" };
  if (!member) return { reason: "owner-dead", status: "unknown" };
  if (member.status === "dead") return { reason: "owner-dead", status: "dead" };
  return { reason: "owner-ineligible", status: member.status };
}

function evidenceFor(members: MembershipState, owner: string | null, status: string | null, eligible: number): ClaimEvidence {
  const member = owner === null ? undefined : members.nodes[owner];
  return {
    previousOwner: owner,
    previousOwnerStatus: status,
    previousOwnerLastHeardAt: member?.lastHeardAt ?? null,
    silentForMs: member ? members.live - member.lastHeardLive : null,
    observedAt: members.time,
    heartbeatSeq: members.seq,
    eligibleNodes: eligible,
  };
}

/**
 * The claim as a plan made from `members` would make it, given that nothing a plan reads has changed since `claim`
 * was planned (planInputs.ts: the same log, membership epoch, youth and restarts): then only the evidence's times
 * and heartbeat sequence move, and a speaker need not plan every VIP again to publish it with fresh evidence.
 */
export function withFreshEvidence(claim: PlannedClaim, members: MembershipState): PlannedClaim {
  const { previousOwner, previousOwnerStatus, eligibleNodes } = claim.evidence;
  return { ...claim, evidence: evidenceFor(members, previousOwner, previousOwnerStatus, eligibleNodes) };
}

export function planClaims(log: LogState, members: MembershipState, settings: MembershipSettings): PlannedClaim[] {
  // A view younger than the dead timeout cannot tell a silent owner from one it has not heard yet.
  if (!log.config || members.live < settings.deadAfterMs) return [];
  const ctx: Ctx = { log, members, settings, facts: factsCache(log) };
  const entries = vipCatalog(log);
  const load = new Map<string, number>();
  const orphans: VipEntry[] = [];
  for (const entry of entries) {
    const record = log.vips[entry.vip];
    if (record?.owner && keeps(ctx, entry, record.owner, record.incarnation)) {
      load.set(record.owner, (load.get(record.owner) ?? 0) + 1);
    } else {
      orphans.push(entry);
    }
  }
  const plan: PlannedClaim[] = [];
  if (orphans.length === 0) return plan;
  const config = log.config.config;
  const takers = takersOf(ctx, config);
  for (const entry of orphans) {
    const record = log.vips[entry.vip];
    const owner = record?.owner ?? null;
    const { reason, status } = reasonFor(ctx, owner, record?.incarnation ?? 0);
    const pool = candidates(takers, entry, starvedMustWait(members, reason, owner));
    if (pool.length === 0) continue;
    const node = pickOwner(entry.vip, pool, load, (n) => preferenceScore(entry, n, config));
    load.set(node, (load.get(node) ?? 0) + 1);
    plan.push({
      vip: entry.vip,
      node,
      term: (record?.term ?? 0) + 1,
      expectedSubjectSeq: record?.subjectSeq ?? 0,
      reason,
      evidence: evidenceFor(members, owner, status, pool.length),
    });
  }
  return plan;
}

/** Highest preference score first, then the fewest VIPs, then the rendezvous hash, then the name. */
function pickOwner(vip: string, nodes: string[], load: Map<string, number>, score: (node: string) => number): string {
  const key = (node: string): [number, number, number] => [-score(node), load.get(node) ?? 0, -rendezvousScore(vip, node)];
  let best = nodes[0] ?? "";
  let bestKey = key(best);
  for (const node of nodes.slice(1)) {
    const k = key(node);
    const better = k[0] !== bestKey[0] ? k[0] < bestKey[0] : k[1] !== bestKey[1] ? k[1] < bestKey[1] : k[2] !== bestKey[2] ? k[2] < bestKey[2] : node < best;
    if (better) {
      best = node;
      bestKey = k;
    }
  }
  return best;
}
