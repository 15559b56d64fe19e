// What a speaker puts on the log about its BGP sessions (BgpSessionsChanged), built from its announcer's stats() of
// either backend, and when: a pure step, so the publisher (bgpSessionsPublisher.ts) is a thin timer around it.
import { BGP_SESSION_STATES, type BgpSessionReport, type BgpSessionStateName } from "../../events/types.js";
import type { BgpPlan } from "../../projections/bgp/bgpPlan.js";
import type { BgpAnnouncerStats } from "./bgpAnnouncer.js";
import { bfdStatusWord } from "./bfdStatus.js";

const STATE_NAMES = new Set<string>(BGP_SESSION_STATES);
const stateName = (state: string): BgpSessionStateName => (STATE_NAMES.has(state) ? (state as BgpSessionStateName) : "idle");

/**
 * The sessions now, in peer name order. `since` is `now` for a session whose state (or BFD status) differs from its
 * `previous` report, else the previous report's: the time of the change as this speaker saw it.
 */
export function sessionReports(plan: BgpPlan | null, stats: BgpAnnouncerStats | undefined, previous: readonly BgpSessionReport[], now: number): BgpSessionReport[] {
  const before = new Map(previous.map((s) => [s.peer, s]));
  return Object.entries(stats?.peers ?? {})
    .sort(([a], [b]) => (a < b ? -1 : 1))
    .map(([peer, p]): BgpSessionReport => {
      const planned = plan?.get(peer);
      const bfd = p.bfd === undefined ? undefined : { profile: p.bfd.profile ?? planned?.bfd?.name ?? null, status: bfdStatusWord(p.bfd.state), ...(p.bfd.echo === undefined ? {} : { echo: p.bfd.echo.reason }) };
      const state = stateName(p.state);
      const was = before.get(peer);
      const since = was !== undefined && was.state === state && was.bfd?.status === bfd?.status ? was.since : now;
      return { peer, address: p.address ?? planned?.peer.peerAddress ?? "", peerASN: planned?.peer.peerASN ?? null, state, since, prefixesSent: p.prefixesSent, ...(bfd === undefined ? {} : { bfd }) };
    });
}

/** What decides whether a report is new: everything but `since` (which only moves with a state). */
export const reportKey = (sessions: readonly BgpSessionReport[]): string => JSON.stringify(sessions.map(({ since: _since, ...rest }) => rest));

/** The publisher's memory: the key on the log (null: nothing acknowledged) and when the pending change was first seen. */
export type ReportWindow = { publishedKey: string | null; pendingSince: number | null };

/**
 * One poll: publish when a change has waited `windowMs` (so the steps of a session coming up, or a flapping link,
 * make one report per window, not one per change); a change undone within the window publishes nothing.
 */
export function stepReportWindow(w: ReportWindow, key: string, now: number, windowMs: number): { window: ReportWindow; publish: boolean } {
  if (key === w.publishedKey) return { window: { ...w, pendingSince: null }, publish: false };
  const pendingSince = w.pendingSince ?? now;
  if (now - pendingSince < windowMs) return { window: { ...w, pendingSince }, publish: false };
  return { window: { publishedKey: key, pendingSince: null }, publish: true };
}
