import type { JetStreamClient } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { subjects } from "../../events/subjects.js";
import { publishEvent } from "../../adapters/nats/publish.js";
import type { PlannedClaim } from "../../projections/ownershipPlan.js";

/**
 * Publishes this node's planned claims with compare-and-set on the VIP's subject. A lost race is fine:
 * the winner's claim arrives through the consumer and the next plan no longer names this node.
 */
export class Claimer {
  private readonly inFlight = new Set<string>();

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
      subjects.vip(claim.vip),
      {
        type: "VipClaimed",
        data: { vip: claim.vip, node: this.node, incarnation: this.incarnation, term: claim.term, reason: claim.reason, evidence: claim.evidence },
      },
      { expectLastSubjectSeq: claim.expectedSubjectSeq },
    );
    if (result.ok) this.log.info({ vip: claim.vip, term: claim.term, reason: claim.reason, seq: result.seq }, "claimed VIP");
    else if (result.conflict) this.log.info({ vip: claim.vip, term: claim.term }, "lost claim race; stepping back");
    else this.log.warn({ vip: claim.vip, err: result.error }, "claim not published");
  }
}
