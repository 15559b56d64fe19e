import type { Draft } from "immer";
import type { Decoded } from "../../events/entries.js";
import type { BgpSessionsChanged, EventMeta, LogEvent } from "../../events/types.js";
import { applyInvalidLogMessage, applyLogEvent, emptyLogState, type LogState } from "../logState.js";

// `vipmesh status`, pure, part 1: EVENTS replayed through the agents' own reducer (on a private mutable state, as
// LogReplayer does), noting what the agents' projection keeps no record of because no decision depends on it:
// each node's fencing and BGP session reports, when nodes left, and the configuration revisions with the refusals since.

export type FenceRecord = { incarnation: number; reason: string; at: number; loggedAt: number };
/** A closed episode as its FenceLeft tells it whole (its clock), and when the log got that FenceLeft. */
export type ClosedFence = { incarnation: number; reason: string; enteredAt: number; leftAt: number; loggedAt: number };
export type SessionsRecord = { incarnation: number; backend: BgpSessionsChanged["data"]["backend"]; sessions: BgpSessionsChanged["data"]["sessions"]; loggedAt: number };
export type Revision = { seq: number; time: number; hash: string; source: string };
export type RefusedMessage = { seq: number; time: number; subject: string; type: string | null; reason: string; detail: string };

export type StatusLog = {
  log: LogState;
  /** Open fencing episodes (FenceEntered not yet followed by FenceLeft), by node. */
  fenced: Record<string, FenceRecord>;
  /**
   * Each node's last closed episode (its clock): a FenceEntered published while the node was cut off can reach the
   * log after the FenceLeft that closed it (the lab's one-way NATS fault shows it); one that began before it is old.
   */
  unfencedAt: Record<string, ClosedFence>;
  /** Each node's latest BGP session report. */
  sessions: Record<string, SessionsRecord>;
  /** Log time of each node's latest accepted leave. */
  leftAt: Record<string, number>;
  /** The configuration in force, and every message refused since it was applied (revisions, forged events, invalid). */
  revision: Revision | null;
  refusedSince: { count: number; first: RefusedMessage[] };
  /** Log time of the last EVENTS message. */
  headTime: number;
};

/** At most this many refused messages are kept in detail (all are counted). */
const KEEP_REFUSED = 50;

export class StatusLogReader {
  private readonly state: StatusLog = { log: emptyLogState(), fenced: {}, unfencedAt: {}, sessions: {}, leftAt: {}, revision: null, refusedSince: { count: 0, first: [] }, headTime: 0 };

  apply(batch: readonly Decoded<LogEvent>[]): void {
    for (const entry of batch) this.applyOne(entry);
  }

  result(): StatusLog {
    return this.state;
  }

  private applyOne({ meta, event, invalid }: Decoded<LogEvent>): void {
    const draft = this.state.log as Draft<LogState>;
    if (meta.seq <= draft.seq) return;
    this.state.headTime = Math.max(this.state.headTime, meta.time);
    if (!event) {
      applyInvalidLogMessage(draft, meta);
      return this.refused(meta, null, invalid?.reason ?? "invalid", invalid?.detail ?? "");
    }
    const before = { identity: draft.refusedIdentity, refusal: draft.lastRefusal, ipam: draft.ipam.rejected };
    applyLogEvent(draft, event, meta);
    if (draft.refusedIdentity > before.identity) return this.refused(meta, event.type, "identity", draft.lastIdentityRefusal?.why ?? "");
    if (draft.lastRefusal !== before.refusal && draft.lastRefusal?.seq === meta.seq) return this.refused(meta, event.type, draft.lastRefusal.reason, draft.lastRefusal.detail);
    if (draft.ipam.rejected > before.ipam) return this.refused(meta, event.type, "ipam", draft.ipam.lastRejection?.why ?? "");
    this.accepted(event, meta);
  }

  private accepted(event: LogEvent, meta: EventMeta): void {
    const s = this.state;
    const time = s.log.time;
    switch (event.type) {
      case "ConfigApplied":
        s.revision = { seq: meta.seq, time, hash: event.data.hash, source: event.data.source };
        s.refusedSince = { count: 0, first: [] };
        return;
      case "FenceEntered": {
        const closed = s.unfencedAt[event.data.node];
        if (closed && closed.incarnation === event.data.incarnation && event.data.at <= closed.leftAt) return;
        s.fenced[event.data.node] = { incarnation: event.data.incarnation, reason: event.data.reason, at: event.data.at, loggedAt: time };
        return;
      }
      case "FenceLeft": {
        const open = s.fenced[event.data.node];
        if (open && open.incarnation <= event.data.incarnation) delete s.fenced[event.data.node];
        const { incarnation, reason, enteredAt, leftAt } = event.data;
        s.unfencedAt[event.data.node] = { incarnation, reason, enteredAt, leftAt, loggedAt: time };
        return;
      }
      case "BgpSessionsChanged": {
        const known = s.sessions[event.data.node];
        if (known && known.incarnation > event.data.incarnation) return;
        s.sessions[event.data.node] = { incarnation: event.data.incarnation, backend: event.data.backend, sessions: event.data.sessions, loggedAt: time };
        return;
      }
      case "NodeLeft":
        if (s.log.left[event.data.node] === event.data.incarnation) s.leftAt[event.data.node] = time;
        return;
      default:
        return;
    }
  }

  private refused(meta: EventMeta, type: string | null, reason: string, detail: string): void {
    const r = this.state.refusedSince;
    r.count++;
    if (r.first.length < KEEP_REFUSED) r.first.push({ seq: meta.seq, time: meta.time, subject: meta.subject, type, reason, detail });
  }
}
