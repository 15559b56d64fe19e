import type { Immer } from "immer";
import type { InvalidEvent } from "../../events/codec.js";
import { decodeHeartbeatEntries, decodeLogEntries, type RawEntry } from "../../events/entries.js";
import { applyLogBatch, frozenImmer, LiveMembership } from "../../projections/batch.js";
import { emptyLogState, type LogState } from "../../projections/logState.js";
import { emptyMembership, type MembershipState } from "../../projections/membership.js";
import type { MembershipSettings } from "../../projections/settings.js";

/**
 * A process's one view of both logs (the log host applies every batch to it; its agents read it). Each log is caught
 * up once a batch reached the position its follower recorded at start (follow.ts); that stays true across later
 * backlogs. `logAtHead` is the stricter "caught up now": false again while a backlog after a reconnect is read.
 */
export class LogView {
  log: LogState;
  private readonly liveMembers = new LiveMembership(emptyMembership());
  logCaughtUp = false;
  membersCaughtUp = false;
  logAtHead = false;
  invalid = 0;

  constructor(
    protected readonly settings: MembershipSettings,
    private readonly onInvalid: (i: InvalidEvent) => void,
    initialLog: LogState = emptyLogState(),
    /** How batches are applied: frozen (the default) or, where measured to matter (the allocator), not. */
    private readonly immer: Immer = frozenImmer,
  ) {
    this.log = initialLog;
  }

  applyLog(raw: readonly RawEntry[], caughtUp: boolean): void {
    this.log = applyLogBatch(this.log, decodeLogEntries(raw, (i) => this.countInvalid(i)), this.immer);
    this.logCaughtUp ||= caughtUp;
    this.logAtHead = caughtUp;
  }

  applyHeartbeats(raw: readonly RawEntry[], caughtUp: boolean): void {
    this.liveMembers.apply(decodeHeartbeatEntries(raw, (i) => this.countInvalid(i)), this.settings);
    this.membersCaughtUp ||= caughtUp;
  }

  /** HEARTBEATS started its sequences again (follow.ts): its beats are taken from there, the membership is kept. */
  restartHeartbeats(): void {
    this.liveMembers.restartSequence();
  }

  /** The membership from HEARTBEATS, changed in place by every batch (LiveMembership): read it when using it. */
  get members(): MembershipState {
    return this.liveMembers.state;
  }

  get ready(): boolean {
    return this.logCaughtUp && this.membersCaughtUp;
  }

  private countInvalid(i: InvalidEvent): void {
    this.invalid++;
    this.onInvalid(i);
  }
}
