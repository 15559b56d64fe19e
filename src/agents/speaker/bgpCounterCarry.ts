import type { SessionCounters } from "../../protocols/bgp/sessionTypes.js";

/** What a peer's counters add up to across the session objects it had: UPDATEs and NOTIFICATIONs by "code/subcode". */
export type CarriedCounters = { updatesSent: number; notificationsSent: Record<string, number>; notificationsReceived: Record<string, number> };

type Counted = Pick<SessionCounters, "updatesSent"> & Partial<Pick<SessionCounters, "notificationsSentByCode" | "notificationsReceivedByCode">>;

const zero = (): CarriedCounters => ({ updatesSent: 0, notificationsSent: {}, notificationsReceived: {} });

function addInto(into: CarriedCounters, c: Counted): void {
  into.updatesSent += c.updatesSent;
  for (const [k, v] of Object.entries(c.notificationsSentByCode ?? {})) into.notificationsSent[k] = (into.notificationsSent[k] ?? 0) + v;
  for (const [k, v] of Object.entries(c.notificationsReceivedByCode ?? {})) into.notificationsReceived[k] = (into.notificationsReceived[k] ?? 0) + v;
}

/**
 * A BGPPeer's counters carried across the session objects that replace one another (BFD Down, a BGPPeer edit), so
 * the metrics count per peer for the life of the process: a replaced session counts while it stops (its Cease
 * included), then is folded in. A peer no longer configured is forgotten, and its series go.
 */
export class BgpCounterCarry {
  private readonly folded = new Map<string, CarriedCounters>();
  private readonly stopping = new Map<string, Set<{ readonly counters: () => Counted }>>();

  /** `session` was replaced; `stopped` settles once its Cease went out and it closed. */
  retire(peer: string, counters: () => Counted, stopped: Promise<unknown>): void {
    const entry = { counters };
    const set = this.stopping.get(peer) ?? new Set();
    this.stopping.set(peer, set.add(entry));
    const fold = (): void => {
      if (!this.stopping.get(peer)?.delete(entry)) return; // forgotten meanwhile
      const into = this.folded.get(peer) ?? zero();
      addInto(into, counters());
      this.folded.set(peer, into);
    };
    stopped.then(fold, fold);
  }

  forget(peer: string): void {
    this.folded.delete(peer);
    this.stopping.delete(peer);
  }

  /** The peer's totals with its live session's counters. */
  totals(peer: string, live: Counted): CarriedCounters {
    const sum = zero();
    const folded = this.folded.get(peer);
    if (folded) addInto(sum, { updatesSent: folded.updatesSent, notificationsSentByCode: folded.notificationsSent, notificationsReceivedByCode: folded.notificationsReceived });
    for (const s of this.stopping.get(peer) ?? []) addInto(sum, s.counters());
    addInto(sum, live);
    return sum;
  }
}
