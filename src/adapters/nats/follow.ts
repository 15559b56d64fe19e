import { DeliverPolicy, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { EventMeta, StreamName } from "../../events/types.js";

export type RawMessage = { meta: EventMeta; data: Uint8Array };

export type FollowStart = { seq: number } | { sinceMs: number };

export type FollowOptions = {
  js: JetStreamClient;
  jsm: JetStreamManager;
  stream: StreamName;
  start: FollowStart;
  maxBatch: number;
  /** Called in log order; `caughtUp` is true when nothing more was pending at the server when the batch ended. */
  onBatch: (batch: RawMessage[], caughtUp: boolean) => void;
  signal: AbortSignal;
};

export type Follower = { done: Promise<void>; initiallyCaughtUp: boolean };

/**
 * Follows a stream with an ordered consumer (the client re-creates it after any gap or reconnect, so
 * messages arrive exactly once and in order). Batches end when the server says nothing is pending.
 *
 * The consumer always starts at a sequence, a start time being resolved to one first: the client re-creates an
 * ordered consumer from its first configuration with a start sequence added, and the server refuses a start time
 * beside it, so a consumer started by time was never re-created, and its follower stopped for good after the first
 * gap (a link lost long enough for messages to go to the old connection).
 */
export async function followStream(opts: FollowOptions): Promise<Follower> {
  const info = await opts.jsm.streams.info(opts.stream);
  const startSeq = "seq" in opts.start ? opts.start.seq : await firstSeqSince(opts.jsm, opts.stream, opts.start.sinceMs, info.state.last_seq);
  const initiallyCaughtUp = info.state.messages === 0 || info.state.last_seq < startSeq;
  const consumer = await opts.js.consumers.get(opts.stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, startSeq) });
  // Short pull expiry and idle heartbeat: after a server dies or the stream leader moves, a stuck consumer is noticed
  // and re-created within about two seconds instead of thirty, so a speaker's view recovers with the log.
  const messages = await consumer.consume({ max_messages: Math.max(opts.maxBatch, 256), expires: 2_000, idle_heartbeat: 1_000 });
  const stop = (): void => void messages.close();
  opts.signal.addEventListener("abort", stop, { once: true });
  const done = (async () => {
    let batch: RawMessage[] = [];
    for await (const m of messages) {
      batch.push({
        meta: { stream: opts.stream, seq: m.info.streamSequence, time: m.info.timestampNanos / 1e6, subject: m.subject },
        data: m.data,
      });
      const caughtUp = m.info.pending === 0;
      if (caughtUp || batch.length >= opts.maxBatch) {
        opts.onBatch(batch, caughtUp);
        batch = [];
      }
    }
    opts.signal.removeEventListener("abort", stop);
  })();
  return { done, initiallyCaughtUp };
}

/** The sequence of the stream's first message stored in the last `sinceMs`, or the next one to come when there is none. */
async function firstSeqSince(jsm: JetStreamManager, stream: StreamName, sinceMs: number, lastSeq: number): Promise<number> {
  const first = await jsm.direct.getMessage(stream, { start_time: new Date(Date.now() - sinceMs) });
  return first?.seq ?? lastSeq + 1;
}
