import { JetStreamApiCodes, JetStreamApiError, type JetStreamClient } from "@nats-io/jetstream";
import { encodeEvent } from "../../events/codec.js";
import type { DomainEvent } from "../../events/types.js";

export type PublishResult = { ok: true; seq: number; duplicate: boolean } | { ok: false; conflict: boolean; error: string };

export type PublishOptions = {
  /** Compare-and-set: the stored sequence of the last message on this subject (or on `chain`) must be exactly this. */
  expectLastSubjectSeq?: number;
  /** The wildcard the compare-and-set covers instead of the subject alone (a claim chain: every claimant's subject). */
  chain?: string;
  msgID?: string;
  timeoutMs?: number;
};

/** Publishes one event; a lost compare-and-set race comes back as `conflict`, never as a throw. */
export async function publishEvent(js: JetStreamClient, subject: string, event: DomainEvent, opts: PublishOptions = {}): Promise<PublishResult> {
  try {
    const ack = await js.publish(subject, encodeEvent(event), {
      ...(opts.expectLastSubjectSeq !== undefined
        ? { expect: { lastSubjectSequence: opts.expectLastSubjectSeq, ...(opts.chain !== undefined ? { lastSubjectSequenceSubject: opts.chain } : {}) } }
        : {}),
      ...(opts.msgID !== undefined ? { msgID: opts.msgID } : {}),
      timeout: opts.timeoutMs ?? 2_000,
    });
    return { ok: true, seq: ack.seq, duplicate: ack.duplicate };
  } catch (err) {
    const conflict = err instanceof JetStreamApiError && err.code === JetStreamApiCodes.StreamWrongLastSequence;
    return { ok: false, conflict, error: (err as Error).message };
  }
}
