import type { LogState } from "./logState.js";
import type { MembershipState } from "./membership.js";
import type { MembershipSettings } from "./settings.js";

// What an ownership plan (planClaims) reads that can change from one view to the next. Two views with the same
// inputs give the same plan, except for the evidence of the claims it makes (times, sequences): so an empty plan
// stays empty while they are equal, and a speaker need not plan again for a batch of heartbeats that changed no
// node's status (only times). See membership.ts, `epoch`.

export type PlanInputs = {
  log: LogState;
  epoch: number;
  /** A view younger than deadAfterMs makes no claims. */
  young: boolean;
  /** Restarts in place whose grace has not run out (it runs out with log time, not with an event). */
  restarts: string;
};

export function planInputs(log: LogState, members: MembershipState, settings: MembershipSettings): PlanInputs {
  const restarts = Object.entries(log.restarting)
    .filter(([, r]) => members.time <= r.until)
    .map(([node, r]) => `${node}@${r.incarnation}`)
    .join(",");
  return { log, epoch: members.epoch, young: members.live < settings.deadAfterMs, restarts };
}

export function samePlanInputs(a: PlanInputs, b: PlanInputs): boolean {
  return a.log === b.log && a.epoch === b.epoch && a.young === b.young && a.restarts === b.restarts;
}

/**
 * The inputs differ only in VIP records (claims landed): the same configuration, allocations, leaves, restarts and
 * node facts (immer keeps each while it is unchanged), membership epoch, youth and restarts in grace.
 */
export function onlyClaimsMoved(a: PlanInputs, b: PlanInputs): boolean {
  const x = a.log;
  const y = b.log;
  return a.epoch === b.epoch && a.young === b.young && a.restarts === b.restarts &&
    x.config === y.config && x.ipam === y.ipam && x.left === y.left && x.restarting === y.restarting && x.nodeFacts === y.nodeFacts;
}
