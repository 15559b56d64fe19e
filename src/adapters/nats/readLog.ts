import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import { followStream, type RawMessage } from "./follow.js";
import { existingStreamInfo } from "./streams.js";
import type { StreamName } from "../../events/types.js";

export type ReadOptions = {
  maxBatch?: number;
  /** Give up (LogReadStalled) when no message arrives for this long, for example because NATS went away. */
  stallMs?: number;
  /** Start at this sequence instead of the first stored message (nothing is read when it is past the last). */
  fromSeq?: number;
};

/**
 * A connection with its JetStream clients, as a swappable connection has them (swappableConnection.ts): a read's
 * consumers are made with those clients, so a swap during the read moves it to the new connection.
 */
export type LogClients = { nc: NatsConnection; js: JetStreamClient; jsm: JetStreamManager };

export class LogReadStalled extends Error {
  readonly code = "LOG_READ_STALLED";
}

/**
 * Reads a stream from its first stored message (or `fromSeq`) up to the last one stored when the read began. It never creates
 * the stream: a missing one is a StreamMissingError that says what creates it.
 */
export async function readWholeStream(from: NatsConnection | LogClients, stream: StreamName, onBatch: (batch: RawMessage[]) => void, opts: ReadOptions = {}): Promise<number> {
  const { nc, js, jsm } = "jsm" in from ? from : { nc: from, js: jetstream(from), jsm: await jetstreamManager(from) };
  const info = await existingStreamInfo(jsm, stream);
  const last = info.state.last_seq;
  if (info.state.messages === 0 || (opts.fromSeq ?? 0) > last) return 0;
  const stop = new AbortController();
  const watchdog = new StallWatchdog(opts.stallMs, () => stop.abort());
  let read = 0;
  try {
    const follower = await followStream({
      nc,
      js,
      jsm,
      stream,
      start: { seq: Math.max(info.state.first_seq, opts.fromSeq ?? 0) },
      maxBatch: opts.maxBatch ?? 5_000,
      signal: stop.signal,
      onBatch: (batch) => {
        watchdog.progress();
        const upTo = batch.filter((m) => m.meta.seq <= last);
        read += upTo.length;
        if (upTo.length > 0) onBatch(upTo);
        if ((batch[batch.length - 1]?.meta.seq ?? 0) >= last) stop.abort();
      },
    });
    await follower.done;
  } finally {
    watchdog.stop();
  }
  if (watchdog.fired) {
    throw new LogReadStalled(`reading ${stream}: nothing arrived for ${(opts.stallMs ?? 0) / 1000} s after ${read} of ${last} messages; gave up (is NATS reachable?)`);
  }
  return read;
}

class StallWatchdog {
  fired = false;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ms: number | undefined,
    private readonly onStall: () => void,
  ) {
    this.progress();
  }

  progress(): void {
    clearTimeout(this.timer);
    if (this.ms === undefined) return;
    this.timer = setTimeout(() => {
      this.fired = true;
      this.onStall();
    }, this.ms);
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
