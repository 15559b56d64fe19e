import type { JetStreamManager } from "@nats-io/jetstream";
import { STREAMS } from "../../events/types.js";
import { messageDigest } from "../../projections/snapshot.js";

/** The EVENTS message stored at `seq` (subject and bytes); null when the stream holds none there. */
export async function storedEvent(jsm: JetStreamManager, seq: number): Promise<{ subject: string; data: Uint8Array } | null> {
  if (seq < 1) return null;
  try {
    const m = await jsm.streams.getMessage(STREAMS.events, { seq });
    return m ? { subject: m.subject, data: m.data } : null;
  } catch (err) {
    if (/no message found/i.test((err as Error).message)) return null;
    throw err;
  }
}

/** The digest a snapshot of the projection at `seq` records (snapshot.ts); null when no message is stored there. */
export async function storedEventDigest(jsm: JetStreamManager, seq: number): Promise<string | null> {
  const m = await storedEvent(jsm, seq);
  return m === null ? null : messageDigest(seq, m.subject, m.data);
}
