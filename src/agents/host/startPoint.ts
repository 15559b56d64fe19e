import type { JetStreamManager } from "@nats-io/jetstream";
import type { Logger } from "pino";
import type { SnapshotStore } from "../../adapters/nats/snapshots.js";
import { STREAMS } from "../../events/types.js";
import { storedEvent } from "../../adapters/nats/storedEvent.js";
import { emptyLogState, type LogState } from "../../projections/logState.js";
import { snapshotAnchorProblem, type Snapshot } from "../../projections/snapshot.js";

/**
 * Where to start replaying EVENTS: the newest snapshot if the stream still holds everything after it and the message
 * at its sequence is the one it recorded (anyone able to write the bucket could otherwise decide what a restarting
 * agent announces); otherwise from the first message still stored, saying why. `discarded`: why a snapshot that was
 * there was not trusted (an error: the bucket holds something the log does not back).
 */
export async function resolveStart(jsm: JetStreamManager, store: SnapshotStore, log: Logger): Promise<{ state: LogState; from: "snapshot" | "start"; discarded?: string }> {
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
  const anchor = await anchorProblem(jsm, snapshot);
  if (anchor !== null) {
    log.error({ snapshotSeq: snapshot.seq, problem: anchor }, "snapshot does not match the log: discarded, rebuilding from the log");
    return { state: emptyLogState(), from: "start", discarded: anchor };
  }
  log.info({ snapshotSeq: snapshot.seq }, "starting from snapshot");
  return { state: snapshot.state, from: "snapshot" };
}

async function anchorProblem(jsm: JetStreamManager, snapshot: Snapshot): Promise<string | null> {
  try {
    return snapshotAnchorProblem(snapshot, await storedEvent(jsm, snapshot.seq));
  } catch (err) {
    return `the message at sequence ${snapshot.seq} could not be read: ${(err as Error).message}`;
  }
}
