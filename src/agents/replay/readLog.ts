import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { followStream, type RawMessage } from "../../adapters/nats/follow.js";
import type { StreamName } from "../../events/types.js";

/** Reads a stream from its first stored message up to the last one stored when the read began. */
export async function readWholeStream(nc: NatsConnection, stream: StreamName, onBatch: (batch: RawMessage[]) => void, maxBatch = 5_000): Promise<number> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream);
  const last = info.state.last_seq;
  if (info.state.messages === 0) return 0;
  const stop = new AbortController();
  let read = 0;
  const follower = await followStream({
    js: jetstream(nc),
    jsm,
    stream,
    start: { seq: info.state.first_seq },
    maxBatch,
    signal: stop.signal,
    onBatch: (batch) => {
      const upTo = batch.filter((m) => m.meta.seq <= last);
      read += upTo.length;
      if (upTo.length > 0) onBatch(upTo);
      if ((batch[batch.length - 1]?.meta.seq ?? 0) >= last) stop.abort();
    },
  });
  await follower.done;
  return read;
}
