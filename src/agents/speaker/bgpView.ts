import { bgpPlanFor, type BgpPlan } from "../../projections/bgp/bgpPlan.js";
import type { SpeakerView } from "./view.js";

// The BGP plan the speaker acts on: nothing before both logs have caught up (null: leave the sessions alone), and
// every route withdrawn while fenced. Recomputed only when the log or this node's membership record changed, so a
// heartbeat batch of other nodes costs nothing.

type Cache = { log: object; self: unknown; fenced: boolean; plan: BgpPlan };
const caches = new WeakMap<SpeakerView, Cache>();

export function speakerBgpPlan(view: SpeakerView, node: string, fenced: boolean): BgpPlan | null {
  if (!view.ready) return null;
  const self = view.members.nodes[node];
  const hit = caches.get(view);
  if (hit && hit.log === view.log && hit.fenced === fenced && sameSelf(hit.self, self)) return hit.plan;
  const plan = bgpPlanFor(node, view.log, view.members);
  if (fenced) for (const p of plan.values()) p.routes.clear();
  caches.set(view, { log: view.log, self: self && { status: self.status, ready: self.ready, incarnation: self.incarnation }, fenced, plan });
  return plan;
}

function sameSelf(cached: unknown, now: SpeakerView["members"]["nodes"][string] | undefined): boolean {
  if (cached === undefined || now === undefined) return cached === now;
  const c = cached as { status: string; ready: boolean; incarnation: number };
  return c.status === now.status && c.ready === now.ready && c.incarnation === now.incarnation;
}
