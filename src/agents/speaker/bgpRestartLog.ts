// Reads this node's last lifecycle event (NodeRestarting or NodeLeft) from the EVENTS stream, with the stream's own
// timestamp, for the restart decision (bgpRestart.ts).
import type { JetStreamManager } from "@nats-io/jetstream";
import { lastEventOn } from "../../adapters/nats/lastEvent.js";
import { subjects } from "../../events/subjects.js";
import { previousStopOf, type PreviousStop } from "./bgpRestart.js";

/** The node's last stop on the log, or null (none, or not decodable: treated as a fresh start). */
export async function readPreviousStop(jsm: JetStreamManager, node: string): Promise<PreviousStop | null> {
  const last = await lastEventOn(jsm, subjects.nodeLifecycle(node));
  const decoded = last?.decode();
  return decoded?.ok ? previousStopOf(decoded.event, decoded.event.meta.time) : null;
}
