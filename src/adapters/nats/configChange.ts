import type { JetStreamClient } from "@nats-io/jetstream";
import type { ClusterConfig } from "../../config/types.js";
import { encodeEvent } from "../../events/codec.js";
import { MAX_EVENT_BYTES } from "../../events/limits.js";
import { subjects } from "../../events/subjects.js";
import { configChangeMessages } from "../../events/configChangeEvents.js";
import type { LogState } from "../../projections/logState.js";
import { publishEvent } from "./publish.js";

// Publishes a source's configuration as per-object events (design.md, "Configuration as per-object events"): the
// objects that differ from what the source has on the log, as one change (epoch), each message expecting the last
// sequence of the source's whole chain (compare-and-set over `vipmesh.ev.cfg.<source>.>`), with a message id naming
// the transition and the position in it. The base is the publisher's own projection, so a stale one loses the
// compare-and-set and decides again once it has read on.

/** What a source has on the log, as the caller's projection has it. */
export type SourceOnLog = { chainSeq: number; hash: string | null; config: ClusterConfig | null; changeInProgress: boolean };

export function sourceOnLog(state: LogState, source: string): SourceOnLog {
  const s = state.configSources[source];
  if (!s) return { chainSeq: 0, hash: null, config: null, changeInProgress: false };
  const empty = s.hash === null;
  return { chainSeq: s.chainSeq, hash: s.hash, config: empty ? null : s.config, changeInProgress: s.pending !== null };
}

export type ChangeOutcome =
  | { kind: "published"; seq: number; objects: number; bytes: number; largest: number }
  | { kind: "unchanged" }
  | { kind: "conflict"; published: number }
  | { kind: "too-large"; error: string }
  | { kind: "failed"; error: string; published: number };

/**
 * Publishes the change from `base` to `next` (hash `hash`, the source's revision `revision`). Nothing is published
 * when an object would exceed the event limit; a lost compare-and-set stops the change where it is (the projection
 * applies only complete changes) and comes back as `conflict`.
 */
export async function publishConfigChange(js: JetStreamClient, source: string, base: SourceOnLog, next: ClusterConfig, hash: string, revision: string): Promise<ChangeOutcome> {
  const messages = configChangeMessages(source, base.config, next, hash, revision, base.chainSeq);
  if (messages.length === 0) return { kind: "unchanged" };
  let bytes = 0;
  let largest = 0;
  for (const { subject, event } of messages) {
    const size = encodeEvent(event).length;
    if (size > MAX_EVENT_BYTES) return { kind: "too-large", error: `${subject} would be ${size} bytes as an event, more than ${MAX_EVENT_BYTES}` };
    bytes += size;
    largest = Math.max(largest, size);
  }
  let expect = base.chainSeq;
  for (const [index, { subject, event, msgID }] of messages.entries()) {
    const result = await publishEvent(js, subject, event, { expectLastSubjectSeq: expect, chain: subjects.configChain(source), msgID, timeoutMs: 5_000 });
    if (!result.ok) return result.conflict ? { kind: "conflict", published: index } : { kind: "failed", error: result.error, published: index };
    expect = result.seq;
  }
  return { kind: "published", seq: expect, objects: messages.length, bytes, largest };
}

/** How long a change another publisher has started may stay unfinished before this one starts its own after it. */
export const UNFINISHED_CHANGE_PATIENCE_MS = 5_000;

/**
 * A publisher's memory between checks: the chain sequence its last change reached (it waits until its projection has
 * read that far), when it first saw another publisher's change unfinished (it does not cut into one in progress), and
 * its last change, to tell when the projection refused it (the same change is then not published again and again).
 */
export class ChangePacing {
  private publishedUpTo = 0;
  private unfinishedSince: { chainSeq: number; at: number } | null = null;
  private last: { hash: string; before: string | null; seq: number } | null = null;

  /** Why not to publish from `base` now, or null. */
  wait(base: SourceOnLog, now: number): string | null {
    if (base.chainSeq < this.publishedUpTo) return "the projection has not yet read this publisher's last change";
    if (!base.changeInProgress) {
      this.unfinishedSince = null;
      return null;
    }
    if (this.unfinishedSince?.chainSeq !== base.chainSeq) this.unfinishedSince = { chainSeq: base.chainSeq, at: now };
    return now - this.unfinishedSince.at < UNFINISHED_CHANGE_PATIENCE_MS ? "another publisher's change is in progress" : null;
  }

  /**
   * True when this publisher's last change was `hash`, the projection has read it, and nothing was applied since:
   * every projection refused it (its reason is in their counters and in replay).
   */
  refused(hash: string, base: SourceOnLog): boolean {
    const l = this.last;
    return l !== null && l.hash === hash && base.chainSeq >= l.seq && base.hash === l.before && base.hash !== hash;
  }

  published(seq: number, change?: { hash: string; before: string | null }): void {
    this.publishedUpTo = Math.max(this.publishedUpTo, seq);
    if (change) this.last = { ...change, seq };
  }

  /** Another publisher's message followed `base`: decide again once the projection has read past it. */
  lostRace(base: SourceOnLog): void {
    this.published(base.chainSeq + 1);
  }
}
