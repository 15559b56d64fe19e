import { Immer } from "immer";
import type { EventMeta, LogEvent, NodeHeartbeatRecorded } from "../events/types.js";
import { applyHeartbeat, applyInvalidHeartbeat, type MembershipState } from "./membership.js";
import { applyInvalidLogMessage, applyLogEvent, type LogState } from "./logState.js";
import type { MembershipSettings } from "./settings.js";

// One produce per batch on the replay path. Frozen results by default; the replay hot path may pass the
// unfrozen instance (measured in the replay benchmark).

export type LogEntry = { meta: EventMeta; event: LogEvent | null };
export type HeartbeatEntry = { meta: EventMeta; event: NodeHeartbeatRecorded | null };

export const frozenImmer = new Immer({ autoFreeze: true });
export const unfrozenImmer = new Immer({ autoFreeze: false });

export function applyLogBatch(state: LogState, entries: readonly LogEntry[], immer: Immer = frozenImmer): LogState {
  return immer.produce(state, (draft) => {
    for (const { meta, event } of entries) {
      if (event) applyLogEvent(draft, { ...event, meta });
      else applyInvalidLogMessage(draft, meta);
    }
  });
}

export function applyHeartbeatBatch(
  state: MembershipState,
  entries: readonly HeartbeatEntry[],
  settings: MembershipSettings,
  immer: Immer = frozenImmer,
): MembershipState {
  return immer.produce(state, (draft) => {
    for (const { meta, event } of entries) {
      if (event) applyHeartbeat(draft, { ...event, meta }, settings);
      else applyInvalidHeartbeat(draft, meta, settings);
    }
  });
}
