import type { ServiceConfig } from "../../config/types.js";
import type { SharingFacts } from "../../events/types.js";
import { formatIp, type Family } from "../../net/ip.js";
import type { CompiledPool } from "./configIndex.js";
import type { Round } from "./round.js";

// MetalLB's choice of addresses inside pools: in a pool, each family's first usable address (blocks in listed
// order, ascending; usable = free, or shareable for a Service with a sharing key); across pools, the first pool
// that serves every family the Service needs, and for PreferDualStack, failing that, the first pool serving its
// primary family, then the first serving its secondary one.

export type Pick = { family: Family; ip: string; pool: CompiledPool };
export type Choice = { picks: Pick[]; wait: boolean };

const WAIT: Choice = { picks: [], wait: true };

export function freeInPool(round: Round, pool: CompiledPool, key: string, facts: SharingFacts, families: readonly Family[]): { picks: Map<Family, Pick>; wait: boolean } {
  const picks = new Map<Family, Pick>();
  for (const [i, range] of pool.ranges.entries()) {
    if (!families.includes(range.family) || picks.has(range.family)) continue;
    const free = round.firstFree(pool, i);
    const shared = facts.key === null ? null : round.firstShared(pool, range, free ?? range.last + 1n, key, facts);
    if (shared?.wait) return { picks, wait: true };
    const value = shared ? shared.value : free;
    if (value !== null) picks.set(range.family, { family: range.family, ip: formatIp({ family: range.family, value }), pool });
  }
  return { picks, wait: false };
}

/** The families a Service without any IP asks a pool for, primary first. */
export function familiesToAsk(svc: ServiceConfig): Family[] {
  return svc.ipFamilyPolicy === "SingleStack" ? svc.ipFamilies.slice(0, 1) : [...svc.ipFamilies];
}

/** MetalLB's findBestPoolForService over `pools` in the given order; null when none can serve. */
export function bestPool(round: Round, svc: ServiceConfig, key: string, facts: SharingFacts, pools: readonly CompiledPool[]): Choice | null {
  const families = familiesToAsk(svc);
  const [primary, secondary] = families;
  let primaryOnly: Pick[] | null = null;
  let secondaryOnly: Pick[] | null = null;
  for (const pool of pools) {
    const free = freeInPool(round, pool, key, facts, families);
    if (free.wait) return WAIT;
    const p = primary === undefined ? undefined : free.picks.get(primary);
    const s = secondary === undefined ? undefined : free.picks.get(secondary);
    if (secondary === undefined && p) return { picks: [p], wait: false };
    if (p && s) return { picks: [p, s], wait: false };
    if (svc.ipFamilyPolicy !== "PreferDualStack") continue;
    primaryOnly ??= p ? [p] : null;
    secondaryOnly ??= s ? [s] : null;
  }
  const partial = primaryOnly ?? secondaryOnly;
  return partial ? { picks: partial, wait: false } : null;
}

/** A single pool asked for some families: all of them, or for PreferDualStack whatever it has. */
export function fromPool(round: Round, svc: ServiceConfig, key: string, facts: SharingFacts, pool: CompiledPool, families: readonly Family[]): Choice | null {
  const free = freeInPool(round, pool, key, facts, families);
  if (free.wait) return WAIT;
  const picks = families.flatMap((f) => free.picks.get(f) ?? []);
  if (picks.length === families.length || (picks.length > 0 && svc.ipFamilyPolicy === "PreferDualStack")) return { picks, wait: false };
  return null;
}
