import type { JetStreamClient } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { subjects } from "../../events/subjects.js";
import { publishEvent } from "../../adapters/nats/publish.js";
import type { PlannedClaim } from "../../projections/ownershipPlan.js";

/**
 * At most this many claims wait for JetStream's acknowledgement at once. A nats-server that fsyncs every message
 * stores one to two thousand a second on the lab's machine; 3,333 claims published at once (a speaker's share of
 * 10,000 unowned VIPs) outlasted the publish timeout, were counted as failed and published again, each a conflict.
 */
export const MAX_CLAIMS_IN_FLIGHT = 64;

/**
 * Publishes this node's planned claims on its own subject of the VIP's chain, with compare-and-set over the whole chain. A lost race is fine:
 * the winner's claim arrives through the consumer and the next plan no longer names this node.
 *
 * Claims are published in plan order, at most MAX_CLAIMS_IN_FLIGHT at a time; the rest are taken from the latest
 * plan as acknowledgements come back. A claim that was stored or lost its race is not published again while the
 * plan still names it (the view has not applied the stored claim yet): that would be a conflict for certain.
 */
export class Claimer {
  private readonly inFlight = new Set<string>();
  /** Claims stored or lost, until a plan no longer names them. */
  private readonly settled = new Set<string>();
  /** Claims NATS did not take (no answer in time, no connection): tried again from the next plan, not in a loop. */
  private readonly failed = new Set<string>();
  private plan: readonly PlannedClaim[] = [];
  /** Claims published and won, lost to a racing claim, or not published (NATS error). */
  readonly results = { won: 0, lost: 0, failed: 0 };

  constructor(
    private readonly js: JetStreamClient,
    private readonly node: string,
    private readonly incarnation: number,
    private readonly log: Logger,
    private readonly maxInFlight = MAX_CLAIMS_IN_FLIGHT,
  ) {}

  /** The latest plan's claims for this node, replacing the previous plan's that are not published yet. */
  submit(plan: readonly PlannedClaim[]): void {
    this.plan = plan;
    this.failed.clear();
    if (this.settled.size > 0) {
      const named = new Set(plan.map(keyOf));
      for (const key of this.settled) if (!named.has(key)) this.settled.delete(key);
    }
    this.pump();
  }

  /** Claims waiting for an acknowledgement now. */
  get pending(): number {
    return this.inFlight.size;
  }

  private pump(): void {
    for (const claim of this.plan) {
      if (this.inFlight.size >= this.maxInFlight) return;
      const key = keyOf(claim);
      if (this.inFlight.has(key) || this.settled.has(key) || this.failed.has(key)) continue;
      this.inFlight.add(key);
      void this.publish(claim).then((stored) => {
        this.inFlight.delete(key);
        (stored === null ? this.failed : this.settled).add(key);
        this.pump();
      });
    }
  }

  /** True: stored; false: lost its race; null: not published (tried again from a later plan). */
  private async publish(claim: PlannedClaim): Promise<boolean | null> {
    const result = await publishEvent(
      this.js,
      subjects.vipClaim(claim.vip, this.node),
      {
        type: "VipClaimed",
        data: { vip: claim.vip, node: this.node, incarnation: this.incarnation, term: claim.term, reason: claim.reason, evidence: claim.evidence },
      },
      { expectLastSubjectSeq: claim.expectedSubjectSeq, chain: subjects.vipChain(claim.vip) },
    );
    this.results[result.ok ? "won" : result.conflict ? "lost" : "failed"]++;
    if (result.ok) this.log.info({ vip: claim.vip, term: claim.term, reason: claim.reason, seq: result.seq }, "claimed VIP");
    else if (result.conflict) this.log.info({ vip: claim.vip, term: claim.term }, "lost claim race; stepping back");
    else this.log.warn({ vip: claim.vip, err: result.error }, "claim not published");
    return result.ok ? true : result.conflict ? false : null;
  }
}

/** A claim as published: the same VIP and term expecting another chain position (a refused message took one) is another. */
const keyOf = (claim: PlannedClaim): string => `${claim.vip}@${claim.term}@${claim.expectedSubjectSeq}`;
