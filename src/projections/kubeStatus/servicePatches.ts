import type { StoredObject as KubeObject } from "./storedObject.js";
import type { ServiceStatusWanted } from "./desired.js";

// The difference between a Service as the API server has it and as the projection wants it, as merge patches
// guarded by the object's resourceVersion (a writer with an old copy gets 409 and looks again).

export const POOL_ANNOTATION = "metallb.io/ip-allocated-from-pool";
export const ANNOUNCED_CONDITION = "vipmesh.io/Announced";

type Condition = { type: string; status: string; reason: string; message: string; lastTransitionTime: string; observedGeneration?: number };
type ServiceStatus = { loadBalancer?: { ingress?: { ip?: string }[] }; conditions?: Condition[] };

const statusOf = (svc: KubeObject): ServiceStatus => (svc["status"] as ServiceStatus | undefined) ?? {};

export function currentIps(svc: KubeObject): string[] {
  return (statusOf(svc).loadBalancer?.ingress ?? []).flatMap((i) => (i.ip ? [i.ip] : []));
}

const sameList = (a: readonly string[], b: readonly string[]): boolean => a.length === b.length && a.every((x, i) => x === b[i]);

/** The status patch, or null when the status already says what is wanted. Never clears ingress (see docs). */
export function statusPatch(svc: KubeObject, wanted: ServiceStatusWanted, now: string): object | null {
  const status = statusOf(svc);
  const ipsChange = wanted.ips.length > 0 && !sameList(currentIps(svc), wanted.ips);
  const conditions = status.conditions ?? [];
  const old = conditions.find((c) => c.type === ANNOUNCED_CONDITION);
  const cond = wanted.notAnnounced
    ? { status: "False", reason: wanted.notAnnounced.reason, message: wanted.notAnnounced.message.slice(0, 32_000) }
    : { status: "True", reason: "Allocated", message: `announced from ${wanted.ips.join(", ")}` };
  const condChange = wanted.ips.length > 0 || wanted.notAnnounced ? !old || old.status !== cond.status || old.reason !== cond.reason || old.message !== cond.message : false;
  if (!ipsChange && !condChange) return null;
  const patch: { metadata: { resourceVersion: string | undefined }; status: Record<string, unknown> } = { metadata: { resourceVersion: svc.metadata.resourceVersion }, status: {} };
  if (ipsChange) patch.status["loadBalancer"] = { ingress: wanted.ips.map((ip) => ({ ip })) };
  if (condChange) {
    const lastTransitionTime = old && old.status === cond.status ? old.lastTransitionTime : now;
    const next: Condition = { type: ANNOUNCED_CONDITION, ...cond, lastTransitionTime };
    patch.status["conditions"] = [...conditions.filter((c) => c.type !== ANNOUNCED_CONDITION), next];
  }
  return patch;
}

export function annotationPatch(svc: KubeObject, wanted: ServiceStatusWanted): object | null {
  if (wanted.pool === null || svc.metadata.annotations?.[POOL_ANNOTATION] === wanted.pool) return null;
  return { metadata: { resourceVersion: svc.metadata.resourceVersion, annotations: { [POOL_ANNOTATION]: wanted.pool } } };
}
