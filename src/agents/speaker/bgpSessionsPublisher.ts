import type { JetStreamClient } from "@nats-io/jetstream";
import { publishEvent } from "../../adapters/nats/publish.js";
import { subjects } from "../../events/subjects.js";
import type { BgpSessionReport } from "../../events/types.js";
import type { BgpPlan } from "../../projections/bgp/bgpPlan.js";
import type { BgpAnnouncer } from "./bgpAnnouncer.js";
import { reportKey, sessionReports, stepReportWindow, type ReportWindow } from "./bgpSessionReport.js";

export type BgpSessionsPublisherOptions = {
  js: JetStreamClient;
  node: string;
  incarnation: number;
  announcer: BgpAnnouncer;
  plan: () => BgpPlan | null;
  /** How often the sessions' state is read. */
  pollMs: number;
  /** How long a change waits, coalescing the ones after it, before it is published (at most one report per window). */
  windowMs: number;
  /** Called at the first failure after a success (or at start). */
  onError: (err: string) => void;
};

export const DEFAULT_SESSION_REPORT_POLL_MS = 250;
export const DEFAULT_SESSION_REPORT_WINDOW_MS = 1_000;

/**
 * Puts this node's BGP sessions on the log (BgpSessionsChanged on vipmesh.ev.announce.<node>) when their state
 * changes, so `vipmesh status` and replay show them. A failed publish is retried at the next poll: the state then
 * is published, whatever it is.
 */
export function startBgpSessionsPublisher(opts: BgpSessionsPublisherOptions): { stop: () => void } {
  let sessions: BgpSessionReport[] = [];
  let window: ReportWindow = { publishedKey: null, pendingSince: null };
  let inFlight = false;
  let failing = false;
  const backend = opts.announcer.backend ?? "native";
  const poll = (): void => {
    const now = Date.now();
    sessions = sessionReports(opts.plan(), opts.announcer.stats?.(), sessions, now);
    if (inFlight) return;
    const step = stepReportWindow(window, reportKey(sessions), now, opts.windowMs);
    window = step.window;
    if (!step.publish) return;
    inFlight = true;
    const event = { type: "BgpSessionsChanged" as const, data: { node: opts.node, incarnation: opts.incarnation, backend, sessions } };
    void publishEvent(opts.js, subjects.announce(opts.node), event).then((r) => {
      inFlight = false;
      if (!failing && !r.ok) opts.onError(r.error);
      failing = !r.ok;
      if (!r.ok) window = { publishedKey: null, pendingSince: null };
    });
  };
  const timer = setInterval(poll, opts.pollMs);
  return { stop: () => clearInterval(timer) };
}
