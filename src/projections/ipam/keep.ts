import { serviceKey, type ServiceConfig } from "../../config/types.js";
import type { ReleaseReason, SharingFacts } from "../../events/types.js";
import { familyOfText, parseIp } from "../../net/ip.js";
import { poolContaining, type ConfigIndex } from "./configIndex.js";
import type { Round } from "./round.js";
import { canShare, sameFacts, sharingFacts } from "./sharing.js";
import { ipRecord, serviceIndex, type Holder, type IpRecord } from "./state.js";

// Which existing allocations must go. Only the Service's own edit or deletion lets an IP go: a pool edit, a
// restart or another Service's change never does (status reports what no longer fits; see status.ts).

type Verdict = { kind: "keep" } | { kind: "release"; reason: ReleaseReason; detail: string } | { kind: "refresh"; facts: SharingFacts };

const release = (reason: ReleaseReason, detail: string): Verdict => ({ kind: "release", reason, detail });

function sharingVerdict(cfg: ConfigIndex, svc: ServiceConfig, record: IpRecord, holder: Holder): Verdict {
  const facts = sharingFacts(svc);
  if (sameFacts(facts, holder.sharing)) return { kind: "keep" };
  const key = serviceKey(svc);
  const clash = record.holders.find((h) => {
    if (h.service === key) return false;
    const current = cfg.byKey.get(h.service);
    return !canShare(h.sharing, facts) || (current !== undefined && !canShare(sharingFacts(current), facts));
  });
  if (clash) return release("sharing-changed", `the Service's sharing key, ports or backend now clash with ${clash.service}`);
  return { kind: "refresh", facts };
}

export function verdict(cfg: ConfigIndex, svc: ServiceConfig | undefined, lbClass: string | null, ip: string, record: IpRecord, holder: Holder): Verdict {
  if (!svc) return release("service-deleted", "the Service is gone (deleted, or no longer of type LoadBalancer)");
  if (svc.loadBalancerClass !== lbClass) return release("class-changed", `loadBalancerClass is now ${svc.loadBalancerClass ?? "unset"}`);
  if (!svc.ipFamilies.includes(familyOfText(ip))) return release("family-removed", `the Service's ipFamilies no longer include IPv${familyOfText(ip)}`);
  if (svc.requestedIps.length > 0 && !svc.requestedIps.includes(ip)) return release("request-changed", `the Service now requests ${svc.requestedIps.join(", ")}`);
  const pool = svc.requestedPool;
  if (pool !== null && holder.pool !== pool && poolContaining(cfg, parseIp(ip))?.name !== pool) {
    return release("pool-request-changed", `the Service now requests pool ${pool}`);
  }
  return sharingVerdict(cfg, svc, record, holder);
}

/** Services holding IPs, in key order: configured ones first pass, then those gone from the configuration. */
function holdingServices(round: Round): string[] {
  const index = serviceIndex(round.ipam);
  const present = round.cfg.keys.filter((k) => index.has(k));
  const gone: string[] = [];
  for (const key of index.keys()) if (!round.cfg.byKey.has(key)) gone.push(key);
  return [...present, ...gone.sort()];
}

/**
 * Holders found worth keeping, with the Service and the configuration they were judged against. A keep verdict
 * depends only on those and on the holder (a changed holder is a new object), so it is not evaluated again while
 * all three keep their identity.
 */
const kept = new WeakMap<Holder, { svc: ServiceConfig; cfg: ConfigIndex }>();

/** Plans releases and sharing-fact refreshes of allocations this allocator's class made; at most one per IP. */
export function planReleases(round: Round, lbClass: string | null): void {
  for (const key of holdingServices(round)) {
    const svc = round.cfg.byKey.get(key);
    for (const ip of round.heldBy(key)) {
      const record = ipRecord(round.ipam, ip);
      const holder = record?.holders.find((h) => h.service === key);
      if (!record || !holder || holder.lbClass !== lbClass || round.touched(ip)) continue;
      const memo = kept.get(holder);
      if (svc !== undefined && memo?.svc === svc && memo.cfg === round.cfg) continue;
      const v = verdict(round.cfg, svc, lbClass, ip, record, holder);
      if (v.kind === "keep" && svc !== undefined) kept.set(holder, { svc, cfg: round.cfg });
      const expectedSubjectSeq = round.subjectSeq(ip);
      if (v.kind === "release") {
        round.add({ kind: "release", ip, service: key, reason: v.reason, detail: v.detail, expectedSubjectSeq }, holder.sharing);
      } else if (v.kind === "refresh") {
        round.add({ kind: "allocate", ip, service: key, pool: holder.pool, reason: "sharing-updated", sharing: v.facts, expectedSubjectSeq }, v.facts);
      }
    }
  }
}
