import type { Draft } from "immer";
import type { ClaimReason, ConfigApplied, EventMeta, LogEvent } from "../events/types.js";
import { assertNever } from "../events/types.js";
import { identityProblem } from "../events/identity.js";
import { parseSubject } from "../events/subjects.js";
import { applyNodeFacts, type NodeFacts } from "./nodeFacts.js";
import { applyConfigObject, applyWholeConfig, noteConfigChainMessage, type ConfigSourceState } from "./configSources.js";
import { eventRefusal, type Refusal, type RefusalReason } from "./eventRules.js";
import { applyIpAllocated, applyIpReleased, noteIpSubjectMessage } from "./ipam/reducer.js";
import { emptyIpam, type IpamState } from "./ipam/state.js";
import { applyJoin, applyVerdict, emptyVerdicts, type VerdictRefusal, type VerdictState } from "./members/verdicts.js";
import { watchersAtIn } from "./members/verdictMembership.js";

// The projection of the durable EVENTS stream: configuration, who left, the owner of every VIP, and the
// allocation of every IP (ipam/).
// Claims form a chain per VIP (term n+1 replaces term n); JetStream's expected-last-subject-sequence check
// keeps that chain linear, and the term check makes any duplicate or stale claim a no-op here too.

export type VipRecord = {
  owner: string | null;
  incarnation: number;
  term: number;
  /**
   * Sequence of the last message on this VIP's claim chain (`vipmesh.ev.vip.<vip>.*`): the value the next claim must
   * expect. Claims of the first layout (`vipmesh.ev.vip.<vip>`) are outside that wildcard and leave it alone.
   */
  subjectSeq: number;
  since: number;
  reason: ClaimReason | null;
};

export type LogState = {
  seq: number;
  time: number;
  /** The configuration in force: the last one applied by any source. */
  config: ConfigApplied["data"] | null;
  /** Each source's objects, chain position and change in progress (configSources.ts). */
  configSources: Record<string, ConfigSourceState>;
  vips: Record<string, VipRecord>;
  ipam: IpamState;
  /** Highest incarnation of each node that announced it is leaving. */
  left: Record<string, number>;
  /** Nodes restarting in place: the incarnation that announced it and the log time until which its VIPs wait. */
  restarting: Record<string, { incarnation: number; until: number }>;
  /** Conflicting answers reported for each VIP: by whom, from which MAC, how many in all. */
  conflicts: Record<string, { reports: number; lastNode: string; lastMac: string; lastAt: number }>;
  invalidEvents: number;
  staleClaims: number;
  /** Events whose payload names another identity than their subject (design.md, rule 1), and the last one's why. */
  refusedIdentity: number;
  lastIdentityRefusal: { seq: number; subject: string; why: string } | null;
  /** Each node's interfaces and routes, from its latest `NodeFactsChanged`. */
  nodeFacts: Record<string, NodeFacts>;
  /** Events refused for their meaning (eventRules.ts), per reason, and the last one's reason and detail. */
  refused: Partial<Record<RefusalReason, number>>;
  lastRefusal: ({ seq: number; subject: string } & Refusal) | null;
  /**
   * Each joined node's status by its watchers' verdicts (members/verdicts.ts), and verdicts refused per reason; kept
   * in both membership modes, read by the plan in `verdicts` mode (members/verdictMembership.ts).
   */
  verdicts: VerdictState;
  /** Sequence of the last message on each node's verdict chain (`vipmesh.ev.member.<node>.*`): what the next verdict must expect. */
  memberChains: Record<string, number>;
  lastVerdictRefusal: { seq: number; subject: string; reason: VerdictRefusal } | null;
};

export const emptyLogState = (): LogState => ({
  seq: 0,
  time: 0,
  config: null,
  configSources: {},
  vips: {},
  ipam: emptyIpam(),
  left: {},
  restarting: {},
  conflicts: {},
  invalidEvents: 0,
  staleClaims: 0,
  refusedIdentity: 0,
  lastIdentityRefusal: null,
  nodeFacts: {},
  refused: {},
  lastRefusal: null,
  verdicts: emptyVerdicts(),
  memberChains: {},
  lastVerdictRefusal: null,
});

const unowned = (): VipRecord => ({ owner: null, incarnation: 0, term: 0, subjectSeq: 0, since: 0, reason: null });

function advance(draft: Draft<LogState>, meta: EventMeta): boolean {
  if (meta.seq <= draft.seq) return false;
  draft.seq = meta.seq;
  draft.time = Math.max(draft.time, meta.time);
  return true;
}

export function applyLogEvent(draft: Draft<LogState>, event: LogEvent, meta: EventMeta): void {
  if (!advance(draft, meta)) return;
  const why = identityProblem(meta.subject, event);
  if (why !== null) {
    draft.refusedIdentity++;
    draft.lastIdentityRefusal = { seq: meta.seq, subject: meta.subject, why };
    noteChainMessage(draft, meta);
    return;
  }
  const refusal = eventRefusal(draft as LogState, event);
  if (refusal !== null) {
    refuse(draft, meta, refusal);
    noteChainMessage(draft, meta);
    return;
  }
  switch (event.type) {
    case "NodeLeft": {
      const known = draft.left[event.data.node] ?? -1;
      if (event.data.incarnation > known) draft.left[event.data.node] = event.data.incarnation;
      return;
    }
    case "NodeRestarting": {
      const known = draft.restarting[event.data.node];
      if (!known || event.data.incarnation >= known.incarnation) {
        draft.restarting[event.data.node] = { incarnation: event.data.incarnation, until: draft.time + event.data.graceMs };
      }
      return;
    }
    case "NodeFactsChanged":
      applyNodeFacts(draft, event);
      // A join records no position or time: a snapshot of before verdicts (its facts only) then upcasts exactly.
      applyJoin((draft.verdicts ??= emptyVerdicts()), event.data.node, event.data.incarnation, 0);
      return;
    case "NodeSuspected":
    case "NodeDeclaredDead":
    case "NodeAlive": {
      noteChainMessage(draft, meta);
      const verdict = { kind: event.type, ...event.data };
      const refusal = applyVerdict((draft.verdicts ??= emptyVerdicts()), verdict, meta.seq, watchersAtIn(draft as LogState), draft.time);
      if (refusal !== null) draft.lastVerdictRefusal = { seq: meta.seq, subject: meta.subject, reason: refusal };
      return;
    }
    case "FenceEntered":
    case "FenceLeft":
    case "BgpSessionsChanged":
      return; // for replay, audit and status: a fencing episode or a session report changes no one's view of the log
    case "VipConflictObserved": {
      const known = draft.conflicts[event.data.vip];
      draft.conflicts[event.data.vip] = { reports: (known?.reports ?? 0) + 1, lastNode: event.data.node, lastMac: event.data.otherMac, lastAt: draft.time };
      return;
    }
    case "VipClaimed": {
      const record = (draft.vips[event.data.vip] ??= unowned());
      noteChainMessage(draft, meta);
      if (event.data.term !== record.term + 1) {
        draft.staleClaims++;
        return;
      }
      record.owner = event.data.node;
      record.incarnation = event.data.incarnation;
      record.term = event.data.term;
      record.since = draft.time;
      record.reason = event.data.reason;
      return;
    }
    case "ConfigApplied":
      draft.config = event.data;
      applyWholeConfig(draft.configSources, event.data);
      return;
    case "ConfigObjectChanged":
    case "ConfigObjectDeleted": {
      const { applied, refusal } = applyConfigObject(draft.configSources, event, meta);
      if (refusal !== null) refuse(draft, meta, refusal);
      if (applied !== null) draft.config = applied;
      return;
    }
    case "IpAllocated":
      applyIpAllocated(draft.ipam, event, meta, draft.time);
      return;
    case "IpReleased":
      applyIpReleased(draft.ipam, event, meta);
      return;
    default:
      assertNever(event);
  }
}

function refuse(draft: Draft<LogState>, meta: EventMeta, refusal: Refusal): void {
  draft.refused[refusal.reason] = (draft.refused[refusal.reason] ?? 0) + 1;
  draft.lastRefusal = { seq: meta.seq, subject: meta.subject, ...refusal };
}

/** A message the boundary rejected still occupies its subject's sequence, which the next claim must expect. */
export function applyInvalidLogMessage(draft: Draft<LogState>, meta: EventMeta): void {
  if (!advance(draft, meta)) return;
  draft.invalidEvents++;
  noteChainMessage(draft, meta);
}

/** Any message on a claim chain, even one refused, is what the next claim on that chain must expect. */
function noteChainMessage(draft: Draft<LogState>, meta: EventMeta): void {
  const subject = parseSubject(meta.subject);
  if (subject.kind === "vip" && subject.publisher !== null) (draft.vips[subject.vip] ??= unowned()).subjectSeq = meta.seq;
  else if (subject.kind === "configObject") noteConfigChainMessage(draft.configSources, subject.source, meta.seq);
  else if (subject.kind === "member") (draft.memberChains ??= {})[subject.target] = meta.seq;
  else noteIpSubjectMessage(draft.ipam, meta);
}

export function ownerHasLeft(state: LogState, node: string, incarnation: number): boolean {
  const left = state.left[node];
  return left !== undefined && left >= incarnation;
}
