import type { JetStreamManager } from "@nats-io/jetstream";
import { decodeEvent, type DecodeResult } from "../../events/codec.js";
import { STREAMS, type EventMeta } from "../../events/types.js";

/**
 * The last message on one EVENTS subject, decoded on demand (with the stream's own timestamp as its time); null when
 * the subject has none. One direct read: snapshots and the retention of the rest of the log do not matter.
 */
export async function lastEventOn(jsm: JetStreamManager, subject: string): Promise<{ seq: number; decode: () => DecodeResult } | null> {
  try {
    const m = await jsm.streams.getMessage(STREAMS.events, { last_by_subj: subject });
    if (!m) return null;
    const meta: EventMeta = { stream: STREAMS.events, seq: m.seq, time: m.time.getTime(), subject: m.subject };
    return { seq: m.seq, decode: () => decodeEvent(m.data, meta) };
  } catch (err) {
    if (/no message found/i.test((err as Error).message)) return null;
    throw err;
  }
}
