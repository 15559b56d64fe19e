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
 */
export async function followStream(opts: FollowOptions): Promise<Follower> {
  const info = await opts.jsm.streams.info(opts.stream);
  const startSeq = "seq" in opts.start ? opts.start.seq : 0;
  const initiallyCaughtUp = info.state.messages === 0 || ("seq" in opts.start && info.state.last_seq < startSeq);
  const consumer = await opts.js.consumers.get(
    opts.stream,
    "seq" in opts.start
      ? { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: Math.max(1, startSeq) }
      : { deliver_policy: DeliverPolicy.StartTime, opt_start_time: new Date(Date.now() - opts.start.sinceMs).toISOString() },
  );
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
