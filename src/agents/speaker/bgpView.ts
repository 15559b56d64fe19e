import { bgpPlanFor, type BgpPlan } from "../../projections/bgp/bgpPlan.js";
import type { MembershipState } from "../../projections/membership.js";
import type { SpeakerView } from "./view.js";

// The BGP plan the speaker acts on: nothing before both logs have caught up (null: leave the sessions alone), and
// every route withdrawn while fenced. Recomputed only when the log, the fence or this node's readiness, incarnation
// or interfaces (the next hops of dual-stack sessions) changed, so a heartbeat batch costs nothing.
//
// The log's liveness verdict on this node itself is not acted on. A running speaker whose heartbeats reached the log
// more than deadAfterMs apart (a GC pause, a busy CPU, its own start-up) reads the others' beats of that gap before
// its own next beat comes back, so its view calls it dead for the few milliseconds in between: withdrawing there
// flaps every route it has (withdrawn, re-advertised at once). Nothing in BGP mode waits for a dead node to withdraw
// (there is no owner; routers drop a dead speaker's routes with its session), and a speaker cut off from the log is
// fenced, which still withdraws everything.

type Cache = { log: object; self: unknown; fenced: boolean; plan: BgpPlan };
const caches = new WeakMap<SpeakerView, Cache>();

export function speakerBgpPlan(view: SpeakerView, node: string, fenced: boolean): BgpPlan | null {
  if (!view.ready) return null;
  const self = view.planMembers.nodes[node];
  const hit = caches.get(view);
  if (hit && hit.log === view.log && hit.fenced === fenced && sameSelf(hit.self, self)) return hit.plan;
  const plan = bgpPlanFor(node, view.log, selfNotDead(view.planMembers, node));
  if (fenced) for (const p of plan.values()) p.routes.clear();
  caches.set(view, { log: view.log, self: self && { ready: self.ready, incarnation: self.incarnation, interfaces: JSON.stringify(self.interfaces) }, fenced, plan });
  return plan;
}

/** The membership with this node's own record counted as silent (suspect) instead of dead. */
function selfNotDead(members: MembershipState, node: string): MembershipState {
  const self = members.nodes[node];
  if (self?.status !== "dead") return members;
  return { ...members, nodes: { ...members.nodes, [node]: { ...self, status: "suspect" } } };
}

/** The parts of this node's record the plan depends on (its status no longer does). */
function sameSelf(cached: unknown, now: SpeakerView["members"]["nodes"][string] | undefined): boolean {
  if (cached === undefined || now === undefined) return cached === now;
  const c = cached as { ready: boolean; incarnation: number; interfaces: string };
  return c.ready === now.ready && c.incarnation === now.incarnation && c.interfaces === JSON.stringify(now.interfaces);
}
