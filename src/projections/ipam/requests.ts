import { serviceKey, type ServiceConfig } from "../../config/types.js";
import { familyOfText, parseIp, type Family } from "../../net/ip.js";
import { isBuggyIp, poolAdmits, poolContaining, type CompiledPool, type ConfigIndex } from "./configIndex.js";
import type { Pending } from "./plan.js";

// What a Service asks for: its families, and whether an IP it names (requested, or held per its status) may be
// its own under MetalLB's rules.

const familyName = (f: Family): string => `IPv${f}`;

const problems = new WeakMap<ServiceConfig, Pending | null>();
const wanted = new WeakMap<ServiceConfig, Family[]>();

/** MetalLB's checks on requested IPs: at most one per family, each of a family the Service has (memoised). */
export function requestProblem(svc: ServiceConfig): Pending | null {
  let p = problems.get(svc);
  if (p === undefined) problems.set(svc, (p = checkRequest(svc)));
  return p;
}

function checkRequest(svc: ServiceConfig): Pending | null {
  const req = svc.requestedIps;
  if (req.length === 0) return null;
  const invalid = (detail: string): Pending => ({ family: null, reason: "invalid-request", detail });
  if (req.length > 2) return invalid(`${req.length} IPs requested; at most one per family`);
  const families = req.map(familyOfText);
  if (families.length === 2 && families[0] === families[1]) return invalid(`${req.join(", ")}: two ${familyName(families[0] ?? 4)} addresses`);
  const foreign = req.find((ip) => !svc.ipFamilies.includes(familyOfText(ip)));
  if (foreign !== undefined) return invalid(`${foreign} is not of the Service's ipFamilies (${svc.ipFamilies.map(familyName).join(", ")})`);
  if (svc.ipFamilyPolicy === "RequireDualStack" && req.length !== 2) return invalid("RequireDualStack needs one requested IP of each family");
  return null;
}

/** The families the Service should hold: those of its requested IPs, else its own (one for SingleStack). Memoised. */
export function wantedFamilies(svc: ServiceConfig): readonly Family[] {
  let w = wanted.get(svc);
  if (w === undefined) wanted.set(svc, (w = familiesWanted(svc)));
  return w;
}

function familiesWanted(svc: ServiceConfig): Family[] {
  if (svc.requestedIps.length > 0) return svc.ipFamilies.filter((f) => svc.requestedIps.some((ip) => familyOfText(ip) === f));
  return svc.ipFamilyPolicy === "SingleStack" ? svc.ipFamilies.slice(0, 1) : [...svc.ipFamilies];
}

export type IpCheck = { ok: true; pool: CompiledPool } | { ok: false; pending: Pending };

/** Whether the Service may hold this specific IP by configuration (not counting who holds it now). */
export function checkNamedIp(cfg: ConfigIndex, svc: ServiceConfig, ip: string): IpCheck {
  const parsed = parseIp(ip);
  const fail = (reason: Pending["reason"], detail: string): IpCheck => ({ ok: false, pending: { family: parsed.family, reason, detail } });
  const pool = poolContaining(cfg, parsed);
  if (!pool) return fail("requested-ip-outside-pools", `${ip} is outside every pool`);
  if (pool.config.avoidBuggyIPs && isBuggyIp(parsed.family, parsed.value)) return fail("requested-ip-not-allowed", `${ip} ends in .0 or .255 and pool ${pool.name} avoids buggy IPs`);
  if (!poolAdmits(pool, svc)) return fail("requested-ip-not-allowed", `${ip} is in pool ${pool.name}, whose serviceAllocation does not admit ${serviceKey(svc)}`);
  if (svc.requestedPool !== null && svc.requestedPool !== pool.name) return fail("requested-ip-not-allowed", `${ip} is in pool ${pool.name}, not in the requested pool ${svc.requestedPool}`);
  return { ok: true, pool };
}

/** MetalLB takes all requested IPs from one pool: every one must pass, and in the same pool. */
export function checkRequestedIps(cfg: ConfigIndex, svc: ServiceConfig): IpCheck {
  let first: CompiledPool | null = null;
  for (const ip of svc.requestedIps) {
    const check = checkNamedIp(cfg, svc, ip);
    if (!check.ok) return check;
    if (first && first !== check.pool) {
      return { ok: false, pending: { family: familyOfText(ip), reason: "requested-ip-not-allowed", detail: `requested IPs are in different pools (${first.name}, ${check.pool.name})` } };
    }
    first = check.pool;
  }
  return first ? { ok: true, pool: first } : { ok: false, pending: { family: null, reason: "invalid-request", detail: "no IP requested" } };
}
