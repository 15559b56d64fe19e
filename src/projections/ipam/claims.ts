import type { AllocationEvidence, IpAllocated, IpReleased } from "../../events/types.js";
import type { IpAction } from "./plan.js";

// A planned action as the event its claim publishes, with the evidence of what the allocator had seen.

export type ClaimContext = AllocationEvidence & { lbClass: string | null };

export function claimEvent(action: IpAction, ctx: ClaimContext): IpAllocated | IpReleased {
  const evidence: AllocationEvidence = { allocator: ctx.allocator, configHash: ctx.configHash, observedSeq: ctx.observedSeq };
  if (action.kind === "release") {
    return { type: "IpReleased", data: { ip: action.ip, service: action.service, reason: action.reason, detail: action.detail, evidence } };
  }
  return {
    type: "IpAllocated",
    data: { ip: action.ip, service: action.service, pool: action.pool, reason: action.reason, sharing: action.sharing, lbClass: ctx.lbClass, evidence },
  };
}
