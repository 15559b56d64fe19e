import type { JetStreamClient, JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { followStream, type Follower } from "../../adapters/nats/follow.js";
import { SnapshotStore } from "../../adapters/nats/snapshots.js";
import { AllocatorView } from "../../agents/allocator/view.js";
import { resolveStart } from "../../agents/host/startPoint.js";
import { STREAMS } from "../../events/types.js";

// The ingest's view of EVENTS, for the guard on configuration changes: which allocations a new configuration would
// release. It is trusted only at the head of the log (a change is judged against every allocation already made).

export type AllocationsLog = { view: AllocatorView; follower: Follower };

/** Follows EVENTS from the newest snapshot; `changed` runs after every batch. */
export async function followAllocations(nc: NatsConnection, js: JetStreamClient, jsm: JetStreamManager, log: Logger, changed: () => void, signal: AbortSignal): Promise<AllocationsLog> {
  const start = await resolveStart(jsm, await SnapshotStore.open(nc, "allocator"), log);
  const view = new AllocatorView(start.state, { lbClass: null }, (i) => log.warn({ invalid: i.reason, seq: i.meta.seq }, "skipped invalid message"));
  const follower = await followStream({
    nc, js, jsm, stream: STREAMS.events, start: { seq: start.state.seq + 1 }, maxBatch: 1_000, signal,
    onBatch: (batch, caughtUp) => {
      view.apply(batch, caughtUp);
      changed();
    },
  });
  if (follower.initiallyCaughtUp) view.atHead = true;
  return { view, follower };
}
