import type { AnswerSet } from "../../projections/answering.js";
import type { BgpPlan } from "../../projections/bgp/bgpPlan.js";

/**
 * What the speaker's announcers were last told to do: the VIPs answered in layer 2 (with the interface) and the BGP
 * plan sent (null: none, before the view is ready, while leaving, or without BGP). The node status writer renders
 * these, in the same process, so a status never says what the announcers did not do.
 */
export class AnnouncerDecisions {
  answering: AnswerSet = new Map();
  bgpPlan: BgpPlan | null = null;
  private readonly listeners = new Set<() => void>();

  /** Records the announcers' inputs; listeners are told when either changed (the speaker keeps unchanged ones). */
  decided(answering: AnswerSet, bgpPlan: BgpPlan | null): void {
    if (answering === this.answering && bgpPlan === this.bgpPlan) return;
    this.answering = answering;
    this.bgpPlan = bgpPlan;
    for (const l of this.listeners) l();
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }
}
