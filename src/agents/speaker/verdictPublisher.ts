import type { JetStreamClient } from "@nats-io/jetstream";
import type { Logger } from "pino";
import { publishEvent, type PublishResult } from "../../adapters/nats/publish.js";
import { subjects } from "../../events/subjects.js";
import type { MemberVerdictData, MemberVerdictEvent, VerdictEvidence } from "../../events/types.js";
import type { LogState } from "../../projections/logState.js";
import { verdictsOf } from "../../projections/members/verdictMembership.js";

/** A verdict this speaker's judge reached about a node it watches (the prober's output). */
export type JudgedVerdict = { kind: "NodeSuspected" | "NodeDeclaredDead"; target: string; incarnation: number; evidence: VerdictEvidence };

/**
 * Publishes this node's verdicts on its own subject of the target's verdict chain (`vipmesh.ev.member.<target>.<self>`)
 * with compare-and-set over the whole chain (`vipmesh.ev.member.<target>.*`), as claims do. The first verdict for an
 * incarnation wins: a verdict the projection already holds (or one about an incarnation it no longer has) is not sent,
 * and a lost race is normal, the end of it: the winner's verdict arrives through the consumer.
 */
export class VerdictPublisher {
  private readonly inFlight = new Set<string>();
  /** Verdicts stored, lost to a racing verdict, not sent (the projection already says so), or not published (NATS error). */
  readonly results = { won: 0, lost: 0, skipped: 0, failed: 0 };

  constructor(
    private readonly js: JetStreamClient,
    private readonly self: string,
    private readonly log: Logger,
  ) {}

  /** Publishes `v` judged against `state` (the view's EVENTS projection now), unless it would change nothing there. */
  submit(v: JudgedVerdict, state: LogState): Promise<PublishResult | null> {
    const known = verdictsOf(state).targets[v.target];
    const news = known !== undefined && known.incarnation === v.incarnation && known.status !== "dead" && !(v.kind === "NodeSuspected" && known.status === "suspect");
    const key = `${v.target}@${v.incarnation}:${v.kind}`;
    if (!news || this.inFlight.has(key)) {
      this.results.skipped++;
      return Promise.resolve(null);
    }
    return this.send(key, { ...v, watcher: this.self }, state);
  }

  /**
   * Refutes a suspicion (or a death verdict) of this node: `NodeAlive` of its own at an incarnation above the one the
   * projection holds, so watchers' verdicts about the old one no longer count. Nothing is sent while it is alive there.
   */
  refute(state: LogState, watcherHealth: number): Promise<PublishResult | null> {
    const known = verdictsOf(state).targets[this.self];
    if (!known || known.status === "alive") return Promise.resolve(null);
    const incarnation = known.incarnation + 1;
    const evidence: VerdictEvidence = { lastReplyAt: null, probes: 0, indirect: [], watcherHealth };
    return this.send(`${this.self}@${incarnation}:NodeAlive`, { kind: "NodeAlive", target: this.self, watcher: this.self, incarnation, evidence }, state);
  }

  private async send(key: string, v: Omit<MemberVerdictData, "position"> & { kind: MemberVerdictEvent["type"] }, state: LogState): Promise<PublishResult | null> {
    if (this.inFlight.has(key)) return null;
    this.inFlight.add(key);
    try {
      const data = { target: v.target, watcher: v.watcher, incarnation: v.incarnation, position: state.seq, evidence: v.evidence };
      const result = await publishEvent(this.js, subjects.memberVerdict(v.target, this.self), { type: v.kind, data }, {
        expectLastSubjectSeq: state.memberChains?.[v.target] ?? 0,
        chain: subjects.memberChain(v.target),
      });
      this.results[result.ok ? "won" : result.conflict ? "lost" : "failed"]++;
      if (result.ok) this.log.info({ verdict: v.kind, target: v.target, incarnation: v.incarnation, seq: result.seq }, "verdict published");
      else if (result.conflict) this.log.debug({ verdict: v.kind, target: v.target }, "another verdict on the chain came first");
      else this.log.warn({ verdict: v.kind, target: v.target, err: result.error }, "verdict not published");
      return result;
    } finally {
      this.inFlight.delete(key);
    }
  }
}
