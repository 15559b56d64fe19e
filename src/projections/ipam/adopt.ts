import type { ServiceConfig } from "../../config/types.js";
import { familyOfText } from "../../net/ip.js";
import { requestProblem, checkNamedIp, wantedFamilies } from "./requests.js";
import type { Round } from "./round.js";
import { sharingFacts } from "./sharing.js";
import { ipRecord } from "./state.js";

// Taking in what Services already hold: an IP in a Service's status that the log does not record (the log was
// lost, or the Service comes from another controller) is claimed for it before anything new is allocated,
// provided the Service could have been given that IP under the rules (pool, request, sharing).

function poolOfHeld(round: Round, key: string, held: readonly string[]): string | null {
  const first = held[0];
  return first === undefined ? null : (ipRecord(round.ipam, first)?.holders.find((h) => h.service === key)?.pool ?? null);
}

function adoptFor(round: Round, svc: ServiceConfig, key: string): void {
  const held = round.heldBy(key);
  const facts = sharingFacts(svc);
  let samePool = poolOfHeld(round, key, held);
  for (const family of wantedFamilies(svc)) {
    if (held.some((ip) => familyOfText(ip) === family)) continue;
    const ip = svc.statusIps.find((x) => familyOfText(x) === family);
    if (ip === undefined || (svc.requestedIps.length > 0 && !svc.requestedIps.includes(ip))) continue;
    const check = checkNamedIp(round.cfg, svc, ip);
    if (!check.ok || (samePool !== null && samePool !== check.pool.name)) continue;
    const a = round.availability(ip, key, facts);
    if (a.kind === "wait") {
      round.waiting = true;
      return;
    }
    if (a.kind === "taken") continue;
    const action = { kind: "allocate", ip, service: key, pool: check.pool.name, reason: "adopted-from-status", sharing: facts, expectedSubjectSeq: round.subjectSeq(ip) } as const;
    round.add(action, facts);
    samePool = check.pool.name;
  }
}

/** Plans adoptions in Service-key order; stops at the first Service that must wait for this round's claims. */
export function planAdoptions(round: Round, managed: (svc: ServiceConfig) => boolean): void {
  round.cfg.services.forEach((svc, i) => {
    if (round.waiting || svc.statusIps.length === 0 || !managed(svc) || requestProblem(svc)) return;
    adoptFor(round, svc, round.cfg.keys[i] ?? "");
  });
}
