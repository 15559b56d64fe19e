import type { Draft } from "immer";
import { parseSubject } from "../../events/subjects.js";
import type { EventMeta, IpAllocated, IpReleased } from "../../events/types.js";
import { canonicalIp, familyOfText } from "../../net/ip.js";
import { bucketOf, serviceBucketOf, serviceIps, type Holder, type IpamState, type IpRecord } from "./state.js";
import { canShare, sameFacts, sharingConflict } from "./sharing.js";

// Reducers of the allocation claims. Compare-and-set on the IP's subject keeps each chain linear; these rules
// make the projection itself refuse what would break an invariant, whoever published it and however late:
// an IP is never held by two Services that may not share it, and a Service never holds two IPs of one family.

type D = Draft<IpamState>;

function recordFor(draft: D, ip: string): Draft<IpRecord> {
  return ((draft.ips[bucketOf(ip)] ??= {})[ip] ??= { holders: [], subjectSeq: 0 });
}

function reject(draft: D, meta: EventMeta, ip: string, service: string, why: string): void {
  draft.rejected++;
  draft.lastRejection = { seq: meta.seq, ip, service, why };
}

/** The message's subject must be on the IP's own chain, or the compare-and-set guarded something else. */
function subjectMatches(draft: D, meta: EventMeta, ip: string, service: string): boolean {
  const subject = parseSubject(meta.subject);
  noteIpSubjectMessage(draft, meta);
  if (subject.kind === "ip" && subject.ip === ip) return true;
  reject(draft, meta, ip, service, `published on ${meta.subject}, not on the IP's subject`);
  return false;
}

function addToService(draft: D, service: string, ip: string): void {
  const bucket = (draft.services[serviceBucketOf(service)] ??= {});
  const held = bucket[service] ?? [];
  bucket[service] = [...held, ip].sort((a, b) => familyOfText(a) - familyOfText(b));
}

function removeFromService(draft: D, service: string, ip: string): void {
  const key = serviceBucketOf(service);
  const bucket = draft.services[key];
  const held = bucket?.[service];
  if (!bucket || !held) return;
  const rest = held.filter((x) => x !== ip);
  if (rest.length > 0) bucket[service] = rest;
  else if (Object.keys(bucket).length > 1) delete bucket[service];
  else delete draft.services[key];
}

function updateFacts(draft: D, meta: EventMeta, record: Draft<IpRecord>, holder: Draft<Holder>, event: IpAllocated): void {
  const { ip, service, sharing } = event.data;
  if (sameFacts(holder.sharing, sharing)) return reject(draft, meta, ip, service, "already held by this Service");
  const clash = record.holders.find((h) => h.service !== service && !canShare(h.sharing, sharing));
  if (clash) return reject(draft, meta, ip, service, `new sharing facts clash with ${clash.service}`);
  holder.sharing = sharing;
}

export function applyIpAllocated(draft: D, event: IpAllocated, meta: EventMeta, time: number): void {
  const { ip, service } = event.data;
  if (!subjectMatches(draft, meta, ip, service)) return;
  const record = recordFor(draft, ip);
  const own = record.holders.find((h) => h.service === service);
  if (own) return updateFacts(draft, meta, record, own, event);
  const family = familyOfText(ip);
  const sameFamily = serviceIps(draft as IpamState, service).find((x) => familyOfText(x) === family);
  if (sameFamily !== undefined) return reject(draft, meta, ip, service, `the Service already holds ${sameFamily}`);
  const taken = record.holders.find((h) => !canShare(h.sharing, event.data.sharing));
  if (taken) return reject(draft, meta, ip, service, `held by ${taken.service}: ${sharingConflict(taken.sharing, event.data.sharing) ?? ""}`);
  record.holders.push({ service, pool: event.data.pool, sharing: event.data.sharing, lbClass: event.data.lbClass, reason: event.data.reason, since: time, seq: meta.seq });
  addToService(draft, service, ip);
}

export function applyIpReleased(draft: D, event: IpReleased, meta: EventMeta): void {
  const { ip, service } = event.data;
  if (!subjectMatches(draft, meta, ip, service)) return;
  const record = recordFor(draft, ip);
  const index = record.holders.findIndex((h) => h.service === service);
  if (index < 0) return reject(draft, meta, ip, service, "not held by this Service");
  record.holders.splice(index, 1);
  removeFromService(draft, service, ip);
}

/**
 * Any message on an IP's claim chain (`vipmesh.ev.ip.<ip>.*`, even one refused) is what the next claim must expect.
 * Claims of the first layout (`vipmesh.ev.ip.<ip>`) are outside that wildcard and leave it alone.
 */
export function noteIpSubjectMessage(draft: D, meta: EventMeta): void {
  const subject = parseSubject(meta.subject);
  if (subject.kind === "ip" && subject.publisher !== null && isCanonical(subject.ip)) recordFor(draft, subject.ip).subjectSeq = meta.seq;
}

function isCanonical(text: string): boolean {
  try {
    return canonicalIp(text) === text;
  } catch {
    return false;
  }
}
