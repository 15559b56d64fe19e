import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { checkLog } from "./logGuard.js";
import { SnapshotStore } from "./snapshots.js";
import { ensureStreams, requirementsOf, type StreamSettings } from "./streams.js";
import type { LogDifference } from "../../events/logRequirements.js";

/**
 * The install step, as the NATS admin (no other role may): creates both streams and the snapshot bucket, or restores
 * their settings, and returns what still differs from what the agents require (nothing, unless the server refuses).
 */
export async function initLog(nc: NatsConnection, settings: StreamSettings): Promise<LogDifference[]> {
  const jsm = await jetstreamManager(nc);
  await ensureStreams(jsm, settings);
  await SnapshotStore.create(nc, settings.replicas);
  return checkLog(jsm, requirementsOf(settings));
}
