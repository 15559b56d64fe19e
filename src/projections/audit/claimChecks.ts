import type { EventMeta, VipClaimed } from "../../events/types.js";
import type { VipRecord } from "../logState.js";
import type { TargetVerdict } from "../members/verdicts.js";
import { refOf, violation, type EventRef, type Finding } from "./findings.js";

// A claim against the log before it: its term must follow the last accepted one, and its reason must hold there.
// `owner-dead` needs the heartbeats, so it comes back as a check for membershipEvidence.ts to settle.

/** An owner-dead claim to judge against the replayed membership at the claimant's stated heartbeat position. */
export type DeathClaim = {
  claim: EventRef;
  vip: string;
  claimant: string;
  owner: string;
  /** The incarnation that held the VIP (of the claim the new one replaces). */
  ownerIncarnation: number;
  /** HEARTBEATS sequence the claimant said it had reached. */
  position: number;
  claimTime: number;
  /** The claim that made `owner` the owner. */
  ownerClaim: EventRef | null;
};

export type ClaimVerdict = { findings: Finding[]; death: DeathClaim | null };

/**
 * `verdicts`: the claimant runs in verdicts mode (its facts say so) and what the verdict projection said of the owner
 * just before the claim; absent for a claimant in heartbeats mode, whose owner-dead claims the heartbeats settle.
 */
type Before = { record: VipRecord | undefined; holder: EventRef | null; left: Readonly<Record<string, number>>; verdicts?: { owner: TargetVerdict | undefined } };

const sequenceText = (ref: EventRef | null): string => (ref ? ` (#${ref.seq})` : "");

export function checkClaim(event: VipClaimed, meta: EventMeta, before: Before): ClaimVerdict {
  const { vip, node, term, reason, evidence } = event.data;
  const expected = (before.record?.term ?? 0) + 1;
  const here = refOf(meta);
  const holderRefs = before.holder ? [before.holder, here] : [here];
  if (term !== expected) {
    const what = term <= expected - 1 ? `repeats term ${term}, which the log already gave${sequenceText(before.holder)}` : `skips to term ${term}`;
    return { findings: [violation("claim-term", vip, `claim by ${node} ${what}; the next term was ${expected}`, holderRefs)], death: null };
  }
  const owner = before.record?.owner ?? null;
  const findings: Finding[] = [];
  if (evidence.previousOwner !== owner) {
    findings.push(violation("claim-unjustified", vip, `claim by ${node} names ${evidence.previousOwner ?? "no one"} as the previous owner, but the log's owner was ${owner ?? "no one"}`, holderRefs));
  }
  if (reason !== "unowned" && owner === null) {
    findings.push(violation("claim-unjustified", vip, `claim by ${node} gives the reason ${reason}, but the VIP had no owner`, holderRefs));
  }
  if (reason === "unowned" && owner !== null) {
    findings.push(violation("claim-unjustified", vip, `claim by ${node} says the VIP had no owner, but ${owner} owned it${sequenceText(before.holder)}`, holderRefs));
  }
  if (reason === "owner-left" && owner !== null && !((before.left[owner] ?? -1) >= (before.record?.incarnation ?? 0))) {
    findings.push(violation("claim-unjustified", vip, `claim by ${node} says ${owner} left, but no NodeLeft of ${owner} (incarnation ${before.record?.incarnation ?? 0} or later) came before it`, holderRefs));
  }
  if (before.verdicts !== undefined) {
    // Verdicts mode: an owner is dead only by an accepted verdict of a designated watcher, which the projection holds.
    const judged = before.verdicts.owner;
    if (reason === "owner-dead" && owner !== null && judged?.status !== "dead") {
      findings.push(violation("claim-unjustified", vip, `claim by ${node} says ${owner} is dead, but no accepted death verdict on ${owner} came before it (its verdict status: ${judged?.status ?? "never joined"})`, holderRefs));
    }
    return { findings, death: null };
  }
  const death =
    reason === "owner-dead" && owner !== null
      ? { claim: here, vip, claimant: node, owner, ownerIncarnation: before.record?.incarnation ?? 0, position: evidence.heartbeatSeq, claimTime: meta.time, ownerClaim: before.holder }
      : null;
  return { findings, death };
}
