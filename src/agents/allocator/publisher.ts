import type { JetStreamClient } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { publishEvent } from "../../adapters/nats/publish.js";
import { subjects } from "../../events/subjects.js";
import { claimEvent, type ClaimContext } from "../../projections/ipam/claims.js";
import type { IpAction } from "../../projections/ipam/plan.js";
import { ipRecord, type IpamState } from "../../projections/ipam/state.js";
import { settledWithin } from "../../adapters/nats/connect.js";

export type PublisherStats = { published: number; won: number; lost: number; failed: number };

type Pending = { ip: string; expected: number; settled: boolean };

/**
 * Publishes planned claims with compare-and-set on each IP's subject. A claim is sent once per expected
 * sequence: until the log shows that subject moved past it, the same claim is not sent again. A lost race is
 * normal (another replica made the same or a newer decision); the winner's event arrives and the next plan
 * tries the next candidate.
 */
export class ClaimPublisher {
  readonly stats: PublisherStats = { published: 0, won: 0, lost: 0, failed: 0 };
  private readonly pending = new Map<string, Pending>();
  private readonly inFlight = new Set<Promise<void>>();
  /** A claim failed or waited for room: the next plan must run even if the log has not moved. */
  private retry = false;

  constructor(
    private readonly js: JetStreamClient,
    private readonly log: Logger,
    private readonly maxInFlight: number,
  ) {}

  get busy(): number {
    return this.inFlight.size;
  }

  /** Whether something must be sent again although the log did not change; resets the flag. */
  takeRetry(): boolean {
    const r = this.retry;
    this.retry = false;
    return r;
  }

  /** Sends what is new in `actions`; `ipam` tells which earlier claims the log has already answered. */
  submit(actions: readonly IpAction[], ipam: IpamState, ctx: ClaimContext): void {
    for (const [key, p] of this.pending) {
      if (p.settled && (ipRecord(ipam, p.ip)?.subjectSeq ?? 0) > p.expected) this.pending.delete(key);
    }
    for (const action of actions) {
      if (this.inFlight.size >= this.maxInFlight) {
        this.retry = true;
        return;
      }
      const key = `${action.ip}@${action.expectedSubjectSeq}`;
      if (this.pending.has(key)) continue;
      const entry: Pending = { ip: action.ip, expected: action.expectedSubjectSeq, settled: false };
      this.pending.set(key, entry);
      const sent = this.send(action, ctx, entry, key).finally(() => this.inFlight.delete(sent));
      this.inFlight.add(sent);
    }
  }

  private async send(action: IpAction, ctx: ClaimContext, entry: Pending, key: string): Promise<void> {
    this.stats.published++;
    const result = await publishEvent(this.js, subjects.ipClaim(action.ip, ctx.allocator), claimEvent(action, ctx), {
      expectLastSubjectSeq: action.expectedSubjectSeq,
      chain: subjects.ipChain(action.ip),
    });
    const what = { ip: action.ip, service: action.service, kind: action.kind, reason: action.reason };
    if (result.ok) {
      this.stats.won++;
      entry.settled = true;
      this.log.info({ ...what, seq: result.seq }, action.kind === "release" ? "released IP" : "claimed IP");
    } else if (result.conflict) {
      this.stats.lost++;
      entry.settled = true;
      this.log.debug(what, "lost the race for the IP; the next plan tries the next candidate");
    } else {
      this.stats.failed++;
      this.pending.delete(key);
      this.retry = true;
      this.log.warn({ ...what, err: result.error }, "claim not published; retrying on the next plan");
    }
  }

  /** Waits for claims already sent (at most `ms`), so a shutdown does not abandon an acknowledged write. */
  async drain(ms: number): Promise<void> {
    await settledWithin(Promise.allSettled([...this.inFlight]), ms);
  }
}
