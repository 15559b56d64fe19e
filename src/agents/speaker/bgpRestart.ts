// Is this speaker process the restart in place of an earlier one (RFC 4724, restarting speaker)? Decided from the
// log alone, once, before the first BGP session opens: the last lifecycle event of this node (NodeRestarting or
// NodeLeft) with its stream time, against the stream time of this process's own first heartbeat ("now"). Pure: no
// clock, no I/O (bgpRestartLog.ts reads the event).
//
// R bit: the previous process announced a restart in place (NodeRestarting, published right after it dropped its
// graceful-restart sessions) and we are back within the restart time it offered, so peers still hold its routes
// as stale. Past the restart time the peers have flushed them: a fresh start.
// F bit: the node kept its VIPs, i.e. we are back within the grace of that NodeRestarting (the log kept the node's
// VIPs with it, nothing was moved away), and the data path the routes point at (the kernel's DNAT and routes, not
// this process) never stopped. Back after the grace, the cluster treated the node as gone: R = 1, F = 0, so the
// helper drops the stale routes at once and takes only what the new session sends.
import type { DomainEvent } from "../../events/types.js";

export type PreviousStop =
  | { readonly kind: "restarting"; readonly incarnation: number; readonly graceMs: number; readonly at: number }
  | { readonly kind: "left"; readonly incarnation: number; readonly at: number };

export type RestartDecision = {
  /** R bit on the first session to each peer. */
  readonly restarting: boolean;
  /** F bit on those sessions. */
  readonly forwarding: boolean;
  /** Restart time left at the decision (ms): the R bit is sent at most this long. 0 when not restarting. */
  readonly remainingMs: number;
  readonly reason: string;
};

export const FRESH_START: RestartDecision = { restarting: false, forwarding: false, remainingMs: 0, reason: "fresh start" };

/** This node's lifecycle event as a PreviousStop (`at`: its stream time); null for any other event. */
export function previousStopOf(event: DomainEvent, at: number): PreviousStop | null {
  if (event.type === "NodeRestarting") return { kind: "restarting", incarnation: event.data.incarnation, graceMs: event.data.graceMs, at };
  if (event.type === "NodeLeft") return { kind: "left", incarnation: event.data.incarnation, at };
  return null;
}

/**
 * The decision for a process of `self.incarnation` whose first heartbeat the log stamped `self.now`, after
 * `previous` (the node's last lifecycle event, or null), offering `restartTimeS` (the restart time of the
 * previous process is taken to be the same: one flag for every process of a node).
 */
export function restartDecision(previous: PreviousStop | null, self: { incarnation: number; now: number }, restartTimeS: number): RestartDecision {
  const fresh = (reason: string): RestartDecision => ({ ...FRESH_START, reason });
  if (previous === null) return fresh("no earlier stop of this node on the log");
  if (previous.incarnation >= self.incarnation) return fresh(`the last stop on the log is of incarnation ${previous.incarnation}, not an earlier process`);
  if (previous.kind === "left") return fresh("the previous process left (NodeLeft): it withdrew its routes");
  const elapsed = Math.max(0, self.now - previous.at);
  const restartMs = restartTimeS * 1000;
  if (elapsed >= restartMs) return fresh(`back ${elapsed} ms after the restart was announced, not within the restart time (${restartMs} ms): peers have flushed its routes`);
  const forwarding = elapsed <= previous.graceMs;
  return {
    restarting: true,
    forwarding,
    remainingMs: restartMs - elapsed,
    reason: forwarding
      ? `restart in place, back after ${elapsed} ms (within the ${previous.graceMs} ms grace: the node kept its VIPs)`
      : `restart in place, back after ${elapsed} ms, past the ${previous.graceMs} ms grace: its VIPs may have moved`,
  };
}
