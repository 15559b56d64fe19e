import type { ServiceConfig } from "../../config/types.js";
import type { AllocationReason, ReleaseReason, SharingFacts } from "../../events/types.js";
import { familyOfText, type Family } from "../../net/ip.js";
import type { LogState } from "../logState.js";
import { planAdoptions } from "./adopt.js";
import { allocateFor } from "./allocate.js";
import { configIndex } from "./configIndex.js";
import { planReleases } from "./keep.js";
import { requestProblem, wantedFamilies } from "./requests.js";
import { Round } from "./round.js";
import { UsedIndex } from "./usedIndex.js";

// The allocator's plan, a pure function of the EVENTS projection (and of the loadBalancerClass it answers to).
// Every replica computes the same plan and publishes its claims with compare-and-set; a round has three phases,
// and a phase with claims ends the round, so that what each phase decides is on the log before the next starts:
//   1. releases (and sharing-fact refreshes) of allocations the Services' own edits invalidated,
//   2. adoption of IPs Services hold per their status but the log does not record,
//   3. new allocations, Services in key order.

export const PENDING_REASONS = [
  "allocating",
  "no-pool",
  "pool-exhausted",
  "requested-ip-taken",
  "requested-ip-outside-pools",
  "requested-ip-not-allowed",
  "family-unavailable",
  "invalid-request",
] as const;
export type PendingReason = (typeof PENDING_REASONS)[number];

/** Why a Service lacks an address (of `family`, or of any when null). */
export type Pending = { family: Family | null; reason: PendingReason; detail: string };

export type IpAction =
  | { kind: "allocate"; ip: string; service: string; pool: string | null; reason: AllocationReason; sharing: SharingFacts; expectedSubjectSeq: number }
  | { kind: "release"; ip: string; service: string; reason: ReleaseReason; detail: string; expectedSubjectSeq: number };

export type ServiceIpam = {
  service: string;
  /** allocated: every wanted family held; partial: some; pending: none; ignored: another loadBalancerClass. */
  state: "allocated" | "partial" | "pending" | "ignored";
  ips: readonly string[];
  pending: Pending[];
};

export type IpamOptions = { lbClass: string | null };
export type IpamPlan = { phase: "release" | "adopt" | "allocate" | "idle"; actions: IpAction[]; services: ServiceIpam[] };

function statusOf(key: string, held: readonly string[], pending: Pending[], managed: boolean): ServiceIpam {
  if (!managed) return { service: key, state: "ignored", ips: held, pending: [] };
  const state = pending.length === 0 ? "allocated" : held.length === 0 ? "pending" : "partial";
  return { service: key, state, ips: held, pending };
}

function inProgress(svc: ServiceConfig, held: readonly string[]): Pending[] {
  const problem = requestProblem(svc);
  if (problem) return [problem];
  return wantedFamilies(svc)
    .filter((f) => !held.some((ip) => familyOfText(ip) === f))
    .map((family) => ({ family, reason: "allocating", detail: "waits for earlier claims to land" }));
}

export function planIpam(log: LogState, opts: IpamOptions, used: UsedIndex = new UsedIndex()): IpamPlan {
  const config = log.config?.config;
  if (!config) return { phase: "idle", actions: [], services: [] };
  const cfg = configIndex(config);
  const round = new Round(log.ipam, cfg, used);
  const managed = (svc: ServiceConfig): boolean => svc.loadBalancerClass === opts.lbClass;
  planReleases(round, opts.lbClass);
  let phase: IpamPlan["phase"] = "release";
  if (round.actions.length === 0) {
    planAdoptions(round, managed);
    phase = "adopt";
  }
  const early = round.actions.length > 0 || round.waiting;
  const services = cfg.services.map((svc, i) => {
    const key = cfg.keys[i] ?? "";
    const held = round.heldBy(key);
    const isManaged = managed(svc);
    if (!isManaged) return statusOf(key, held, [], false);
    const pending = early || round.waiting ? inProgress(svc, held) : allocateFor(round, svc, key);
    return statusOf(key, held, pending, true);
  });
  if (!early) phase = round.actions.length > 0 ? "allocate" : "idle";
  return { phase, actions: round.actions, services };
}
