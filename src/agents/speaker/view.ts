import type { InvalidEvent } from "../../events/codec.js";
import { answerSetFor, type AnswerSet } from "../../projections/answering.js";
import { emptyLogState, type LogState } from "../../projections/logState.js";
import type { MembershipState } from "../../projections/membership.js";
import { planClaims, withFreshEvidence, type PlannedClaim } from "../../projections/ownershipPlan.js";
import { onlyClaimsMoved, planInputs, samePlanInputs, type PlanInputs } from "../../projections/planInputs.js";

/** How long a plan's claims are kept while only other VIPs' claims land (see claimsFor). */
export const REPLAN_AFTER_CLAIMS_MS = 200;
import type { MembershipSettings } from "../../projections/settings.js";
import type { MembershipMode } from "../../events/types.js";
import { verdictMembers } from "../../projections/members/verdictMembership.js";
import { LogView } from "../host/logView.js";

/**
 * The speaker's view: the process's one view of both logs (LogView, applied by the log host), plus the plans and
 * answers derived from it, each kept while what it depends on stays the same.
 */
export class SpeakerView extends LogView {
  /** Plans computed, not answered from the previous one: what the batches have cost. */
  plansComputed = 0;
  /** The last plan made, only `node`'s claims of it. */
  private lastPlan: { node: string; inputs: PlanInputs; claims: PlannedClaim[]; at: number } | null = null;
  private lastAnswers: { log: LogState; self: unknown; answers: AnswerSet } | null = null;

  constructor(
    settings: MembershipSettings,
    onInvalid: (i: InvalidEvent) => void,
    initialLog: LogState = emptyLogState(),
    /** Where node statuses come from: heartbeats (HEARTBEATS) or watchers' verdicts (EVENTS only). */
    readonly mode: MembershipMode = "heartbeats",
  ) {
    super(settings, onInvalid, initialLog);
  }

  private verdictView: { log: LogState; members: MembershipState } | null = null;

  /** The membership the plan and the answers read: the heartbeat projection, or the one built from verdicts on EVENTS. */
  get planMembers(): MembershipState {
    if (this.mode === "heartbeats") return this.members;
    if (this.verdictView?.log !== this.log) this.verdictView = { log: this.log, members: verdictMembers(this.log, this.settings) };
    return this.verdictView.members;
  }

  override get ready(): boolean {
    return this.logCaughtUp && (this.membersCaughtUp || this.mode === "verdicts");
  }

  /**
   * The claims the plan gives `node`. While a plan's inputs (planInputs.ts) stay the same, a batch of heartbeats
   * changed no node's status, only times: an empty plan stays empty, and a plan with claims (made again until they
   * are on the log, for fresh evidence) keeps its claims with the evidence brought up to date
   * (withFreshEvidence). A plan of 10,000 orphaned VIPs took 230 ms, and was made on every batch of heartbeats.
   */
  claimsFor(node: string, nowMs = performance.now()): PlannedClaim[] {
    if (!this.ready) return [];
    const members = this.planMembers;
    const inputs = planInputs(this.log, members, this.settings);
    const last = this.lastPlan;
    if (last?.node === node && samePlanInputs(last.inputs, inputs)) {
      return last.claims.length === 0 ? [] : last.claims.map((c) => withFreshEvidence(c, members));
    }
    // Claims landing one batch after another (a takeover of thousands of VIPs) change only VIP records: within
    // REPLAN_AFTER_CLAIMS_MS of a plan, its claims whose VIP nobody claimed since are kept rather than planning every
    // VIP again per batch. Which node a later plan would give them can differ (loads moved); the chain's
    // compare-and-set settles any disagreement, and the next full plan follows.
    if (last?.node === node && last.claims.length > 0 && nowMs - last.at < REPLAN_AFTER_CLAIMS_MS && onlyClaimsMoved(last.inputs, inputs)) {
      const before = last.inputs.log.vips;
      return last.claims.filter((c) => this.log.vips[c.vip] === before[c.vip]).map((c) => withFreshEvidence(c, members));
    }
    this.plansComputed++;
    const claims = planClaims(this.log, members, this.settings).filter((c) => c.node === node);
    this.lastPlan = { node, inputs, claims, at: nowMs };
    return claims;
  }

  /** What `node` answers for: made again only when the log or what `node`'s own record says of it changed. */
  answersFor(node: string): AnswerSet {
    if (!this.logCaughtUp) return new Map();
    const members = this.planMembers;
    const member = members.nodes[node];
    const self = member && [member.ready, member.interfaces];
    const last = this.lastAnswers;
    if (last && last.log === this.log && sameSelf(last.self, self)) return last.answers;
    const answers = answerSetFor(node, this.log, members);
    this.lastAnswers = { log: this.log, self, answers };
    return answers;
  }
}

/** The parts of a node's own record its answers depend on: readiness and the interfaces an old heartbeat carried. */
function sameSelf(a: unknown, b: unknown): boolean {
  if (!Array.isArray(a) || !Array.isArray(b)) return a === b;
  return a[0] === b[0] && a[1] === b[1];
}
