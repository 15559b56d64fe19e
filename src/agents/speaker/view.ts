import type { InvalidEvent } from "../../events/codec.js";
import { decodeHeartbeatEntries, decodeLogEntries, type RawEntry } from "../../events/entries.js";
import { answerSetFor, type AnswerSet } from "../../projections/answering.js";
import { applyHeartbeatBatch, applyLogBatch } from "../../projections/batch.js";
import { emptyLogState, type LogState } from "../../projections/logState.js";
import { emptyMembership, type MembershipState } from "../../projections/membership.js";
import { planClaims, type PlannedClaim } from "../../projections/ownershipPlan.js";
import type { MembershipSettings } from "../../projections/settings.js";

/**
 * One agent's view of both logs; it derives plans and answers from state only. Each log is caught up once a batch
 * reached the position its follower recorded at start (follow.ts); that stays true across later backlogs.
 */
export class SpeakerView {
  log: LogState;
  members: MembershipState = emptyMembership();
  logCaughtUp = false;
  membersCaughtUp = false;
  invalid = 0;

  constructor(
    private readonly settings: MembershipSettings,
    private readonly onInvalid: (i: InvalidEvent) => void,
    initialLog: LogState = emptyLogState(),
  ) {
    this.log = initialLog;
  }

  applyLog(raw: readonly RawEntry[], caughtUp: boolean): void {
    this.log = applyLogBatch(this.log, decodeLogEntries(raw, (i) => this.countInvalid(i)));
    this.logCaughtUp = this.logCaughtUp || caughtUp;
  }

  applyHeartbeats(raw: readonly RawEntry[], caughtUp: boolean): void {
    this.members = applyHeartbeatBatch(this.members, decodeHeartbeatEntries(raw, (i) => this.countInvalid(i)), this.settings);
    this.membersCaughtUp = this.membersCaughtUp || caughtUp;
  }

  get ready(): boolean {
    return this.logCaughtUp && this.membersCaughtUp;
  }

  claimsFor(node: string): PlannedClaim[] {
    if (!this.ready) return [];
    return planClaims(this.log, this.members, this.settings).filter((c) => c.node === node);
  }

  answersFor(node: string): AnswerSet {
    return this.logCaughtUp ? answerSetFor(node, this.log, this.members) : new Map();
  }

  private countInvalid(i: InvalidEvent): void {
    this.invalid++;
    this.onInvalid(i);
  }
}
