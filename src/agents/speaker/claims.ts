import type { JetStreamClient } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { subjects } from "../../events/subjects.js";
import { publishEvent } from "../../adapters/nats/publish.js";
import type { PlannedClaim } from "../../projections/ownershipPlan.js";

/**
 * Publishes this node's planned claims on its own subject of the VIP's chain, with compare-and-set over the whole chain. A lost race is fine:
 * the winner's claim arrives through the consumer and the next plan no longer names this node.
 */
export class Claimer {
  private readonly inFlight = new Set<string>();
  /** Claims published and won, lost to a racing claim, or not published (NATS error). */
  readonly results = { won: 0, lost: 0, failed: 0 };

  constructor(
    private readonly js: JetStreamClient,
    private readonly node: string,
    private readonly incarnation: number,
    private readonly log: Logger,
  ) {}

  submit(plan: readonly PlannedClaim[]): void {
    for (const claim of plan) {
      const key = `${claim.vip}@${claim.term}`;
      if (this.inFlight.has(key)) continue;
      this.inFlight.add(key);
      void this.publish(claim).finally(() => this.inFlight.delete(key));
    }
  }

  private async publish(claim: PlannedClaim): Promise<void> {
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
  }
}
