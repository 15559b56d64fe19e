import { decodeEvent, type InvalidEvent } from "./codec.js";
import type { EventMeta, LogEvent, NodeHeartbeatRecorded } from "./types.js";

// Turns raw stream messages into projection entries. A message that fails validation becomes an entry
// with no event: the projection still sees its sequence, and the caller counts it.

export type RawEntry = { meta: EventMeta; data: Uint8Array };
/** `invalid`: why the boundary refused the message, when `event` is null. */
export type Decoded<E> = { meta: EventMeta; event: E | null; invalid?: { reason: InvalidEvent["reason"]; detail: string } };

export function decodeLogEntries(raw: readonly RawEntry[], onInvalid: (i: InvalidEvent) => void): Decoded<LogEvent>[] {
  return raw.map(({ meta, data }) => {
    const result = decodeEvent(data, meta);
    if (result.ok && result.event.type !== "NodeHeartbeatRecorded" && result.event.type !== "NodePresence") return { meta, event: result.event };
    const invalid: InvalidEvent = result.ok ? { reason: "unknown-type", detail: "heartbeat on the events stream", meta } : result.invalid;
    onInvalid(invalid);
    return { meta, event: null, invalid: { reason: invalid.reason, detail: invalid.detail } };
  });
}

export function decodeHeartbeatEntries(raw: readonly RawEntry[], onInvalid: (i: InvalidEvent) => void): Decoded<NodeHeartbeatRecorded>[] {
  return raw.map(({ meta, data }) => {
    const result = decodeEvent(data, meta);
    if (result.ok && result.event.type === "NodeHeartbeatRecorded") return { meta, event: result.event };
    // A presence (verdicts mode) is valid but no beat: the heartbeat membership only counts it as a message it skipped.
    if (result.ok && result.event.type === "NodePresence") return { meta, event: null };
    onInvalid(result.ok ? { reason: "unknown-type", detail: `${result.event.type} on the heartbeats stream`, meta } : result.invalid);
    return { meta, event: null };
  });
}
