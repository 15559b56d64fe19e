import { Immer, type Draft } from "immer";
import type { EventMeta, LogEvent, NodeHeartbeatRecorded } from "../events/types.js";
import { applyHeartbeat, applyInvalidHeartbeat, type MembershipState } from "./membership.js";
import { applyInvalidLogMessage, applyLogEvent, type LogState } from "./logState.js";
import type { MembershipSettings } from "./settings.js";

// One produce per batch on the live path. Bulk replay (start-up catch-up, the replay tool, benchmarks) uses
// LogReplayer, which runs the same reducers on a private mutable copy: a test shows both agree byte for byte.

export type LogEntry = { meta: EventMeta; event: LogEvent | null };
export type HeartbeatEntry = { meta: EventMeta; event: NodeHeartbeatRecorded | null };

export const frozenImmer = new Immer({ autoFreeze: true });
export const unfrozenImmer = new Immer({ autoFreeze: false });

function applyLogEntries(draft: Draft<LogState>, entries: readonly LogEntry[]): void {
  for (const { meta, event } of entries) {
    if (event) applyLogEvent(draft, event, meta);
    else applyInvalidLogMessage(draft, meta);
  }
}

export function applyLogBatch(state: LogState, entries: readonly LogEntry[], immer: Immer = frozenImmer): LogState {
  return immer.produce(state, (draft) => applyLogEntries(draft, entries));
}

export function applyHeartbeatBatch(
  state: MembershipState,
  entries: readonly HeartbeatEntry[],
  settings: MembershipSettings,
  immer: Immer = frozenImmer,
): MembershipState {
  return immer.produce(state, (draft) => {
    for (const { meta, event } of entries) {
      if (event) applyHeartbeat(draft, event, meta, settings);
      else applyInvalidHeartbeat(draft, meta, settings);
    }
  });
}

/** Replays many batches into a private mutable copy; `result()` hands out a frozen copy of the state. */
export class LogReplayer {
  private readonly draft: LogState;

  constructor(start: LogState) {
    this.draft = structuredClone(start);
  }

  apply(entries: readonly LogEntry[]): void {
    applyLogEntries(this.draft, entries);
  }

  get seq(): number {
    return this.draft.seq;
  }

  result(): LogState {
    return frozenImmer.produce(structuredClone(this.draft), () => undefined);
  }
}
