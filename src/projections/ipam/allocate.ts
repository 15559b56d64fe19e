import type { ServiceConfig } from "../../config/types.js";
import type { AllocationReason, SharingFacts } from "../../events/types.js";
import { familyOfText, type Family } from "../../net/ip.js";
import { pinnedPools, poolAdmits, type CompiledPool } from "./configIndex.js";
import type { Pending } from "./plan.js";
import { bestPool, familiesToAsk, fromPool, type Choice, type Pick } from "./poolChoice.js";
import { checkRequestedIps, requestProblem, wantedFamilies } from "./requests.js";
import type { Round } from "./round.js";
import { sharingFacts } from "./sharing.js";
import { ipRecord } from "./state.js";

// New allocations for one Service, in MetalLB's order: requested IPs; else (holding one family already) the
// missing family from the same pool; else the requested pool; else pinned pools by priority, then the other
// autoAssign pools. Every way of failing has its own reason.

type Ctx = { round: Round; svc: ServiceConfig; key: string; facts: SharingFacts; missing: Family[] };
type Outcome = { choice: Choice | null; reason: AllocationReason; considered: CompiledPool[]; failures?: Pending[] };

const fam = (f: Family): string => `IPv${f}`;

function requested(ctx: Ctx, holdsAny: boolean): Outcome {
  const check = checkRequestedIps(ctx.round.cfg, ctx.svc);
  if (!check.ok) return { choice: null, reason: "requested-ip", considered: [], failures: [check.pending] };
  const picks: Pick[] = [];
  const failures: Pending[] = [];
  for (const family of ctx.missing) {
    const ip = ctx.svc.requestedIps.find((x) => familyOfText(x) === family) ?? "";
    const a = ctx.round.availability(ip, ctx.key, ctx.facts);
    if (a.kind === "wait") return { choice: { picks: [], wait: true }, reason: "requested-ip", considered: [] };
    if (a.kind === "taken") failures.push({ family, reason: "requested-ip-taken", detail: `${ip} is held by ${a.by} (${a.why})` });
    else picks.push({ family, ip, pool: check.pool });
  }
  // Like MetalLB's Assign, a Service holding nothing gets all its requested IPs or none.
  const first = failures[0];
  if (first && !holdsAny) {
    for (const p of picks) failures.push({ family: p.family, reason: first.reason, detail: `requested IPs are taken together, and ${first.detail}` });
    return { choice: null, reason: "requested-ip", considered: [check.pool], failures };
  }
  return { choice: { picks, wait: false }, reason: "requested-ip", considered: [check.pool], failures };
}

function additional(ctx: Ctx, held: readonly string[]): Outcome {
  const holder = ipRecord(ctx.round.ipam, held[0] ?? "")?.holders.find((h) => h.service === ctx.key);
  const name = holder?.pool ?? null;
  const reason: AllocationReason = holder && ["requested-pool", "service-allocation"].includes(holder.reason) ? holder.reason : "auto-assign";
  const pool = name === null ? undefined : ctx.round.cfg.byName.get(name);
  if (!pool || !poolAdmits(pool, ctx.svc)) {
    const detail = `the ${fam(ctx.missing[0] ?? 4)} address must come from pool ${name ?? "?"} of ${held[0] ?? "?"}, which ${pool ? "no longer admits the Service" : "no longer exists"}`;
    return { choice: null, reason, considered: [], failures: [{ family: null, reason: "no-pool", detail }] };
  }
  return { choice: fromPool(ctx.round, ctx.svc, ctx.key, ctx.facts, pool, ctx.missing), reason, considered: [pool] };
}

function requestedPool(ctx: Ctx, name: string): Outcome {
  const pool = ctx.round.cfg.byName.get(name);
  if (!pool || !poolAdmits(pool, ctx.svc)) {
    const detail = pool ? `pool ${name}'s serviceAllocation does not admit ${ctx.key}` : `the requested pool ${name} does not exist`;
    return { choice: null, reason: "requested-pool", considered: [], failures: [{ family: null, reason: "no-pool", detail }] };
  }
  return { choice: fromPool(ctx.round, ctx.svc, ctx.key, ctx.facts, pool, familiesToAsk(ctx.svc)), reason: "requested-pool", considered: [pool] };
}

function automatic(ctx: Ctx): Outcome {
  const pinned = pinnedPools(ctx.round.cfg, ctx.svc);
  const first = bestPool(ctx.round, ctx.svc, ctx.key, ctx.facts, pinned);
  if (first) return { choice: first, reason: "service-allocation", considered: pinned };
  const fallback = ctx.round.cfg.fallback;
  const considered = [...pinned, ...fallback];
  if (considered.length === 0) {
    return { choice: null, reason: "auto-assign", considered, failures: [{ family: null, reason: "no-pool", detail: `no autoAssign pool admits ${ctx.key}` }] };
  }
  return { choice: bestPool(ctx.round, ctx.svc, ctx.key, ctx.facts, fallback), reason: "auto-assign", considered };
}

/** Why a family could not be served by the pools considered; `together` must come from one pool. */
function shortage(family: Family, together: readonly Family[], considered: readonly CompiledPool[]): Pending {
  const names = considered.map((p) => p.name).join(", ") || "none";
  if (!considered.some((p) => together.every((f) => p.families.has(f)))) {
    const what = together.map(fam).join(" and ");
    return { family, reason: "family-unavailable", detail: `no pool the Service may use has ${what} blocks (considered: ${names})` };
  }
  return { family, reason: "pool-exhausted", detail: `no free ${fam(family)} address in ${names}` };
}

function outcomeFor(ctx: Ctx, held: readonly string[]): Outcome {
  if (ctx.svc.requestedIps.length > 0) return requested(ctx, held.length > 0);
  if (held.length > 0) return additional(ctx, held);
  if (ctx.svc.requestedPool !== null) return requestedPool(ctx, ctx.svc.requestedPool);
  return automatic(ctx);
}

/** Plans this Service's missing families; returns what remains pending and why. */
export function allocateFor(round: Round, svc: ServiceConfig, key: string): Pending[] {
  const problem = requestProblem(svc);
  if (problem) return [problem];
  const held = round.heldBy(key);
  const missing = wantedFamilies(svc).filter((f) => !held.some((ip) => familyOfText(ip) === f));
  if (missing.length === 0) return [];
  const ctx: Ctx = { round, svc, key, facts: sharingFacts(svc), missing };
  const outcome = outcomeFor(ctx, held);
  if (outcome.choice?.wait) {
    round.waiting = true;
    return missing.map((family) => ({ family, reason: "allocating", detail: "waits for this round's claims to land" }));
  }
  const picks = outcome.choice?.picks ?? [];
  for (const pick of picks) {
    const reason = outcome.reason;
    round.add({ kind: "allocate", ip: pick.ip, service: key, pool: pick.pool.name, reason, sharing: ctx.facts, expectedSubjectSeq: round.subjectSeq(pick.ip) }, ctx.facts);
  }
  return missing.map((family): Pending => {
    const pick = picks.find((p) => p.family === family);
    if (pick) return { family, reason: "allocating", detail: `claiming ${pick.ip} from pool ${pick.pool.name}` };
    const failure = outcome.failures?.find((f) => f.family === family || f.family === null);
    const together = svc.ipFamilyPolicy === "RequireDualStack" && held.length === 0 ? missing : [family];
    return failure ? { ...failure, family } : shortage(family, together, outcome.considered);
  });
}
