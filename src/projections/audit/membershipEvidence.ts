import type { Draft } from "immer";
import type { Decoded } from "../../events/entries.js";
import type { NodeHeartbeatRecorded } from "../../events/types.js";
import { applyHeartbeat, applyInvalidHeartbeat, emptyMembership, memberScore, memberStarved, type MembershipState } from "../membership.js";
import type { MembershipSettings } from "../settings.js";
import type { DeathClaim } from "./claimChecks.js";
import { note, violation, type EventRef, type Finding } from "./findings.js";

// Settles owner-dead claims against HEARTBEATS in one pass: the speakers' own membership reducer replayed up to the
// claimant's stated position must show the owner dead (its timeout widened by its Lifeguard score, as the speakers
// widen it), and the claimant not starved unless the owner was already overdue; and an owner that was only cut off (the same incarnation
// beats again after the claim) must have fenced by the time its VIP was claimed, or two nodes answered at once.

export type FenceSpan = { node: string; incarnation: number; reason: string; enteredAt: number; leftAt: number | null; events: EventRef[] };

type Beat = { time: number; seq: number; incarnation: number; subject: string };

/** The claimant's own Lifeguard score at the position, when it was starved and the owner not yet overdue. */
type StarvedClaimant = { score: number; ownerSilentMs: number };

type Pending = DeathClaim & {
  status: "dead" | "alive" | "suspect" | "absent" | null;
  lastHeardAt: number | null;
  starved: StarvedClaimant | null;
  lastBefore: Beat | null;
  firstAfter: Beat | null;
};

export class MembershipEvidence {
  private readonly state: MembershipState = emptyMembership();
  private readonly byPosition: Pending[];
  private next = 0;
  private firstSeq: number | null = null;
  private firstTime: number | null = null;
  /** Per owner, its claims in claim-time order and how many a later beat has already passed. */
  private readonly byOwner = new Map<string, { claims: Pending[]; passed: number; last: Beat | null }>();

  constructor(
    deaths: readonly DeathClaim[],
    private readonly settings: MembershipSettings,
    private readonly boundMs: number,
  ) {
    const pending = deaths.map((d) => ({ ...d, status: null, lastHeardAt: null, starved: null, lastBefore: null, firstAfter: null }));
    this.byPosition = [...pending].sort((a, b) => a.position - b.position);
    for (const p of [...pending].sort((a, b) => a.claimTime - b.claimTime)) {
      const entry = this.byOwner.get(p.owner) ?? { claims: [], passed: 0, last: null };
      entry.claims.push(p);
      this.byOwner.set(p.owner, entry);
    }
  }

  apply(batch: readonly Decoded<NodeHeartbeatRecorded>[]): void {
    const draft = this.state as Draft<MembershipState>;
    for (const { meta, event } of batch) {
      this.firstSeq ??= meta.seq;
      this.firstTime ??= meta.time;
      this.settleUpTo(meta.seq - 1);
      if (!event) {
        applyInvalidHeartbeat(draft, meta, this.settings);
        continue;
      }
      applyHeartbeat(draft, event, meta, this.settings);
      this.noteBeat(event.data.node, { time: meta.time, seq: meta.seq, incarnation: event.data.incarnation, subject: meta.subject });
    }
  }

  /** The findings, once every heartbeat has been applied. */
  finish(fences: readonly FenceSpan[]): Finding[] {
    this.settleUpTo(Number.MAX_SAFE_INTEGER);
    return this.byPosition.flatMap((p) => [...this.justification(p), ...this.twoOwners(p, fences)]);
  }

  /** Judges every claim whose position is at or before `seq`, with the membership as it stands. */
  private settleUpTo(seq: number): void {
    while (this.next < this.byPosition.length && (this.byPosition[this.next]?.position ?? Infinity) <= seq) {
      const p = this.byPosition[this.next++] as Pending;
      const record = this.state.nodes[p.owner];
      p.status = record ? record.status : "absent";
      p.lastHeardAt = record ? record.lastHeardAt : null;
      const claimant = this.state.nodes[p.claimant];
      if (record?.status === "dead" && !record.overdue && claimant && memberStarved(claimant)) {
        p.starved = { score: memberScore(claimant), ownerSilentMs: Math.round(this.state.live - record.lastHeardLive) };
      }
    }
  }

  private noteBeat(node: string, beat: Beat): void {
    const entry = this.byOwner.get(node);
    if (!entry) return;
    while (entry.passed < entry.claims.length && (entry.claims[entry.passed]?.claimTime ?? Infinity) < beat.time) {
      const claim = entry.claims[entry.passed++] as Pending;
      claim.lastBefore = entry.last;
      claim.firstAfter = beat;
    }
    entry.last = beat;
  }

  /**
   * The beats the claim was made on are gone: aged out, or a claim older than the first retained beat (HEARTBEATS
   * started over: made again, or in memory when every server restarted; its old sequences mean nothing in the new one).
   */
  private agedOut(p: Pending): boolean {
    if (this.firstSeq === null) return p.position > 0;
    return (this.firstSeq > 1 && p.position < this.firstSeq) || (this.firstTime !== null && p.claimTime < this.firstTime);
  }

  private justification(p: Pending): Finding[] {
    const about = `${p.vip}`;
    if (this.agedOut(p) || (p.status === "absent" && (this.firstSeq ?? 1) > 1)) {
      return [note("claim-unjustified", about, `cannot be checked: the heartbeats around position #${p.position} that declared ${p.owner} dead have aged out of HEARTBEATS (claim by ${p.claimant})`, [p.claim])];
    }
    if (p.starved) {
      const { score, ownerSilentMs } = p.starved;
      return [violation("claim-unjustified", about, `claim by ${p.claimant} took ${p.owner}'s VIP while ${p.claimant} was starved (health score ${score} at heartbeat #${p.position}) and ${p.owner} had been silent only ${ownerSilentMs} ms, under the ${this.settings.maxDeadAfterMs} ms a starved node waits`, refs(p))];
    }
    if (p.status === "dead" || p.status === "absent") return [];
    const heard = p.lastHeardAt !== null ? `; its last beat was ${Math.round(p.claimTime - p.lastHeardAt)} ms before the claim` : "";
    return [violation("claim-unjustified", about, `claim by ${p.claimant} says ${p.owner} was dead, but at heartbeat #${p.position} the membership shows it ${p.status}${heard}`, refs(p))];
  }

  private twoOwners(p: Pending, fences: readonly FenceSpan[]): Finding[] {
    const { lastBefore, firstAfter } = p;
    if (!lastBefore || !firstAfter || firstAfter.incarnation !== p.ownerIncarnation || lastBefore.incarnation !== p.ownerIncarnation) return [];
    if (firstAfter.time - lastBefore.time < this.settings.deadAfterMs) return [];
    // Back on the log within the bound: an owner whose own process stalled (it does not fence for that: the silence
    // was its own, fenceMachine.ts) and that reads the claim as it resumes, as an owner still reading the log does.
    if (firstAfter.time - p.claimTime <= this.boundMs) return [];
    const fenced = fences.some((f) => f.node === p.owner && f.incarnation === p.ownerIncarnation && f.enteredAt <= p.claimTime + this.boundMs && (f.leftAt === null || f.leftAt >= p.claimTime));
    if (fenced) return [];
    return [
      violation(
        "two-owners",
        p.vip,
        `${p.owner} was cut off, not dead (incarnation ${p.ownerIncarnation} beat again at #${firstAfter.seq}), and no fencing episode of it began by ${this.boundMs} ms after ${p.claimant}'s claim: both may have answered until it was back`,
        [...refs(p), { stream: "HEARTBEATS", seq: firstAfter.seq, subject: firstAfter.subject }],
        Math.max(0, firstAfter.time - p.claimTime),
      ),
    ];
  }
}

const refs = (p: Pending): EventRef[] => (p.ownerClaim ? [p.ownerClaim, p.claim] : [p.claim]);
