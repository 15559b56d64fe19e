import type { JetStreamManager } from "@nats-io/jetstream";
import type { Logger } from "pino";
import type { SnapshotStore } from "../../adapters/nats/snapshots.js";
import { STREAMS } from "../../events/types.js";
import { emptyLogState, type LogState } from "../../projections/logState.js";

/**
 * Where to start replaying EVENTS: the newest snapshot if the stream still holds everything after it;
 * otherwise from the first message still stored, saying why.
 */
export async function resolveStart(jsm: JetStreamManager, store: SnapshotStore, log: Logger): Promise<{ state: LogState; from: "snapshot" | "start" }> {
  const { snapshot, problem } = await store.load();
  if (problem) log.warn({ problem }, "snapshot unusable; rebuilding from the log");
  if (!snapshot) return { state: emptyLogState(), from: "start" };
  const { state } = await jsm.streams.info(STREAMS.events);
  if (snapshot.seq > state.last_seq) {
    log.warn({ snapshotSeq: snapshot.seq, lastSeq: state.last_seq }, "snapshot is ahead of the stream (stream re-created?); rebuilding from the log");
    return { state: emptyLogState(), from: "start" };
  }
  if (state.messages > 0 && snapshot.seq + 1 < state.first_seq) {
    log.warn({ snapshotSeq: snapshot.seq, firstSeq: state.first_seq }, "the log after the snapshot is gone (retention); rebuilding from what remains");
    return { state: emptyLogState(), from: "start" };
  }
  log.info({ snapshotSeq: snapshot.seq }, "starting from snapshot");
  return { state: snapshot.state, from: "snapshot" };
}
