import { encodeEvent } from "../../src/events/codec.js";
import { decodeLogEntries, type RawEntry } from "../../src/events/entries.js";
import { chainOf, subjects } from "../../src/events/subjects.js";
import type { DomainEvent } from "../../src/events/types.js";
import type { ClusterConfig } from "../../src/config/types.js";
import { applyLogBatch } from "../../src/projections/batch.js";
import { emptyLogState, type LogState } from "../../src/projections/logState.js";
import { claimEvent } from "../../src/projections/ipam/claims.js";
import { planIpam, type IpamOptions, type IpamPlan } from "../../src/projections/ipam/plan.js";
import { UsedIndex } from "../../src/projections/ipam/usedIndex.js";
import { allocationsByService } from "../../src/projections/ipam/state.js";

// An in-memory EVENTS stream with JetStream's compare-and-set rule, and allocator replicas that plan from their
// own (possibly lagging) view of it. Deterministic: the test decides who acts when.

export class MemoryLog {
  readonly entries: RawEntry[] = [];
  private readonly subjectSeq = new Map<string, number>();
  time = 1_700_000_000_000;
  private configs = 0;

  /** Appends unless `expect` differs from the subject's last sequence (then null, as a "wrong last sequence"). */
  append(subject: string, event: DomainEvent, expect?: number): number | null {
    const guarded = chainOf(subject) ?? subject;
    if (expect !== undefined && (this.subjectSeq.get(guarded) ?? 0) !== expect) return null;
    const seq = this.entries.length + 1;
    this.time += 1;
    this.entries.push({ meta: { stream: "EVENTS", seq, time: this.time, subject }, data: encodeEvent(event) });
    this.subjectSeq.set(guarded, seq);
    return seq;
  }

  applyConfig(config: ClusterConfig): void {
    this.configs++;
    this.append(subjects.config("file"), { type: "ConfigApplied", data: { source: "file", hash: `h${this.configs}`, config } });
  }
}

export class Replica {
  state: LogState = emptyLogState();
  private readonly used = new UsedIndex();
  published = 0;
  conflicts = 0;

  constructor(
    readonly log: MemoryLog,
    readonly name: string,
    readonly opts: IpamOptions = { lbClass: null },
  ) {}

  /** Reads the log up to `upTo` entries (all by default). */
  catchUp(upTo = this.log.entries.length): void {
    const from = this.state.seq;
    if (upTo <= from) return;
    this.state = applyLogBatch(this.state, decodeLogEntries(this.log.entries.slice(from, upTo), () => undefined));
  }

  plan(): IpamPlan {
    return planIpam(this.state, this.opts, this.used);
  }

  /** Plans from the current view and publishes every claim with compare-and-set; returns how many landed. */
  act(plan: IpamPlan = this.plan()): number {
    let landed = 0;
    const ctx = { allocator: this.name, configHash: this.state.config?.hash ?? null, observedSeq: this.state.seq, lbClass: this.opts.lbClass };
    for (const action of plan.actions) {
      this.published++;
      if (this.log.append(subjects.ipClaim(action.ip, ctx.allocator), claimEvent(action, ctx), action.expectedSubjectSeq) === null) this.conflicts++;
      else landed++;
    }
    return landed;
  }

  /** Catch up, act, repeat until a plan has nothing to do. */
  converge(maxRounds = 10_000): IpamPlan {
    for (let i = 0; i < maxRounds; i++) {
      this.catchUp();
      const plan = this.plan();
      if (plan.actions.length === 0) return plan;
      this.act(plan);
    }
    throw new Error(`${this.name} did not converge in ${maxRounds} rounds`);
  }
}

/** Service key -> its IPs, for comparing outcomes. */
export function allocationsOf(state: LogState): Record<string, string[]> {
  return allocationsByService(state.ipam);
}
