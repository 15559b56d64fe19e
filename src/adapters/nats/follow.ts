import { DeliverPolicy, type ConsumerMessages, type JetStreamClient, type JetStreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/nats-core";
import { TimeoutError } from "@nats-io/transport-node";
import type { EventMeta, StreamName } from "../../events/types.js";

export type RawMessage = { meta: EventMeta; data: Uint8Array };

export type FollowStart = { seq: number } | { sinceMs: number };

export type FollowOptions = {
  /** The connection under `js`: its reconnects replace the consumer. */
  nc: NatsConnection;
  js: JetStreamClient;
  jsm: JetStreamManager;
  stream: StreamName;
  start: FollowStart;
  maxBatch: number;
  /**
   * Called in log order. `caughtUp` is true once the batch reaches the position the follower recorded when it
   * started or last re-subscribed after a reconnect (the stream's last sequence then), whatever arrived since.
   */
  onBatch: (batch: RawMessage[], caughtUp: boolean) => void;
  /**
   * The stream started its sequences again below the follower's position (HEARTBEATS made again by `log init`, or a
   * replicated in-memory HEARTBEATS after every server restarted): called before the first batch of the new stream,
   * which is read from its first message. Without it, such a stream stops the follower.
   */
  onRestart?: (firstSeq: number) => void;
  signal: AbortSignal;
};

export type Follower = { done: Promise<void>; initiallyCaughtUp: boolean };

/**
 * Where "caught up" is: the stream's last sequence when the follower started or reconnected. Reaching it is the
 * one meaning of readiness; a batch that ends with nothing pending at the server has reached it too. A continuous
 * flow (thousands of heartbeats a second) may never leave the consumer idle, so idleness cannot be the sign.
 */
class CatchUpPosition {
  constructor(private target: number) {}

  /** Moves the target to the stream's last sequence now (after a reconnect): what was written meanwhile is read first. */
  retarget(lastSeq: number): void {
    this.target = lastSeq;
  }

  reachedBy(seq: number, pending: number): boolean {
    return seq >= this.target || pending === 0;
  }
}

/** How long to wait before asking again for a consumer the server could not create (NATS still coming back). */
const RESUBSCRIBE_RETRY_MS = 250;

/**
 * Follows a stream with an ordered consumer. Its start-up requests are asked again while a busy server lets them time
 * out (under the load of hundreds of nodes' heartbeats, a speaker otherwise died at start with "timeout").
 *
 * After every reconnect the consumer is replaced by a new one starting right after the last message handed to
 * `onBatch`. The client's own recovery cannot be relied on there: messages the server pushed to the lost connection
 * are gone, and the client notices only when a later message comes (its delivery number skips), so a stream that
 * went quiet (EVENTS after a claim made during a speaker's outage) stayed behind, and its reader fenced, for as long
 * as nobody wrote. The consumer always starts at a sequence, a start time being resolved to one first: the client
 * re-creates an ordered consumer with a start sequence beside its first configuration's start time, which the
 * server refuses, so a consumer started by time was never re-created.
 */
export async function followStream(opts: FollowOptions): Promise<Follower> {
  const info = await patiently(opts.signal, () => opts.jsm.streams.info(opts.stream));
  const start = opts.start;
  const startSeq = "seq" in start ? start.seq : await patiently(opts.signal, () => firstSeqSince(opts.jsm, opts.stream, start.sinceMs, info.state.last_seq));
  const initiallyCaughtUp = info.state.messages === 0 || ("seq" in opts.start && info.state.last_seq < startSeq);
  let next = Math.max(1, startSeq); // the first sequence not yet handed to onBatch
  const position = new CatchUpPosition(info.state.last_seq);
  let messages = await patiently(opts.signal, () => subscribe(opts, next));
  let stoppedHere = false;
  const stop = (): void => {
    stoppedHere = true;
    void messages.close();
  };
  opts.signal.addEventListener("abort", stop, { once: true });
  const unwatch = onReconnect(opts.nc, stop);
  if (opts.onRestart) watchForDeletion(messages, stop);
  const done = (async () => {
    try {
      for (;;) {
        next = await deliver(opts, messages, next, position);
        // A subscription that ended by itself is made again too: the client's ordered consumer may give up when its
        // stream is missing for a moment (every server restarting), before the server says the consumer is gone.
        if (opts.signal.aborted || opts.nc.isClosed()) return;
        // One that ended by itself waits a moment first, so one that keeps ending cannot spin.
        if (!stoppedHere) await new Promise((r) => setTimeout(r, RESUBSCRIBE_RETRY_MS));
        stoppedHere = false;
        const fresh = await resubscribe(opts, next, position);
        if (!fresh) return;
        ({ messages, next } = fresh);
        if (opts.onRestart) watchForDeletion(messages, stop);
      }
    } finally {
      unwatch();
      opts.signal.removeEventListener("abort", stop);
    }
  })();
  return { done, initiallyCaughtUp };
}

/**
 * Hands `messages` to onBatch in batches until the subscription ends; returns the first sequence not handed over.
 * A batch ends when nothing is pending, at `maxBatch`, and at the message that reaches the catch-up position, so
 * readiness is announced at that message and not a whole batch later.
 */
async function deliver(opts: FollowOptions, messages: ConsumerMessages, from: number, position: CatchUpPosition): Promise<number> {
  let next = from;
  let batch: RawMessage[] = [];
  let reached = position.reachedBy(from - 1, 1);
  for await (const m of messages) {
    if (m.info.streamSequence <= (batch.at(-1)?.meta.seq ?? next - 1)) continue; // handed over by an earlier subscription
    batch.push({
      meta: { stream: opts.stream, seq: m.info.streamSequence, time: m.info.timestampNanos / 1e6, subject: m.subject },
      data: m.data,
    });
    const caughtUp = position.reachedBy(m.info.streamSequence, m.info.pending);
    if (m.info.pending === 0 || batch.length >= opts.maxBatch || caughtUp !== reached) {
      reached = caughtUp;
      next = m.info.streamSequence + 1;
      opts.onBatch(batch, caughtUp);
      batch = [];
    }
  }
  return next;
}

async function subscribe(opts: FollowOptions, from: number): Promise<ConsumerMessages> {
  const consumer = await opts.js.consumers.get(opts.stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from });
  // Short pull expiry and idle heartbeat: after a server dies or the stream leader moves, a stuck consumer is noticed
  // and re-created within about two seconds instead of thirty, so a speaker's view recovers with the log.
  return consumer.consume({ max_messages: Math.max(opts.maxBatch, 256), expires: 2_000, idle_heartbeat: 1_000 });
}

/**
 * A new subscription from `from`, retried until one is made, with the catch-up position moved to the stream's last
 * sequence now; null once the follower is stopped. A stream whose last sequence is below `from - 1` started over
 * (with `onRestart`): the subscription starts at its first message instead of waiting for a sequence it may reach
 * only hours later.
 */
async function resubscribe(opts: FollowOptions, from: number, position: CatchUpPosition): Promise<{ messages: ConsumerMessages; next: number } | null> {
  while (!opts.signal.aborted && !opts.nc.isClosed()) {
    try {
      const { state } = await opts.jsm.streams.info(opts.stream);
      position.retarget(state.last_seq);
      const restarted = opts.onRestart !== undefined && state.last_seq < from - 1;
      const next = restarted ? Math.max(1, state.messages > 0 ? state.first_seq : state.last_seq + 1) : from;
      const messages = await subscribe(opts, next);
      if (restarted) opts.onRestart?.(next);
      return { messages, next };
    } catch {
      await new Promise((r) => setTimeout(r, RESUBSCRIBE_RETRY_MS));
    }
  }
  return null;
}

/**
 * Calls `then` when the server says the consumer is gone: the stream was deleted (and perhaps made again). The
 * client's ordered consumer would make a new one after the last sequence it saw, which a new stream reaches late.
 */
function watchForDeletion(messages: ConsumerMessages, then: () => void): void {
  void (async () => {
    for await (const s of messages.status()) {
      if (s.type === "consumer_deleted" || s.type === "consumer_not_found") {
        then();
        return;
      }
    }
  })().catch(() => undefined);
}

/** `ask`, asked again while it times out (a server too busy to answer in time), until the follower is stopped. */
async function patiently<T>(signal: AbortSignal, ask: () => Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await ask();
    } catch (err) {
      if (!(err instanceof TimeoutError) || signal.aborted) throw err;
      await new Promise((r) => setTimeout(r, RESUBSCRIBE_RETRY_MS));
    }
  }
}

/** Calls `then` on every reconnect of `nc`; returns the way to stop watching. */
function onReconnect(nc: NatsConnection, then: () => void): () => void {
  const status = nc.status();
  let watching = true;
  void (async () => {
    for await (const s of status) {
      if (!watching) break;
      if (s.type === "reconnect") then();
    }
  })();
  return () => {
    watching = false;
    (status as { stop?: () => void }).stop?.();
  };
}

/** The sequence of the stream's first message stored in the last `sinceMs`, or the next one to come when there is none. */
async function firstSeqSince(jsm: JetStreamManager, stream: StreamName, sinceMs: number, lastSeq: number): Promise<number> {
  const first = await jsm.direct.getMessage(stream, { start_time: new Date(Date.now() - sinceMs) });
  return first?.seq ?? lastSeq + 1;
}
