// Reads this node's last lifecycle event (NodeRestarting or NodeLeft) from the EVENTS stream, with the stream's own
// timestamp, for the restart decision (bgpRestart.ts). One direct read of the last message on the node's lifecycle
// subject: snapshots and retention of the rest of the log do not matter.
import type { JetStreamManager } from "@nats-io/jetstream";
import { decodeEvent } from "../../events/codec.js";
import { subjects } from "../../events/subjects.js";
import { STREAMS, type EventMeta } from "../../events/types.js";
import { previousStopOf, type PreviousStop } from "./bgpRestart.js";

/** The node's last stop on the log, or null (none, or not decodable: treated as a fresh start). */
export async function readPreviousStop(jsm: JetStreamManager, node: string): Promise<PreviousStop | null> {
  const m = await jsm.streams.getMessage(STREAMS.events, { last_by_subj: subjects.nodeLifecycle(node) });
  if (m === null) return null;
  const meta: EventMeta = { stream: STREAMS.events, seq: m.seq, time: m.time.getTime(), subject: m.subject };
  const decoded = decodeEvent(m.data, meta);
  return decoded.ok ? previousStopOf(decoded.event, meta.time) : null;
}
