import type { ServiceConfig } from "../../config/types.js";
import type { SharingFacts } from "../../events/types.js";

// MetalLB's sharing rule: two Services may hold the same IP only if both carry the same non-empty
// allow-shared-ip key, the same backend key, and no (protocol, port) pair in common.

const cache = new WeakMap<ServiceConfig, SharingFacts>();

/** Kubernetes' labels.Set.String(): "k=v" pairs sorted by key, comma-separated. */
function selectorText(selector: Record<string, string>): string {
  return Object.keys(selector)
    .sort()
    .map((k) => `${k}=${selector[k] ?? ""}`)
    .join(",");
}

export function sharingFacts(service: ServiceConfig): SharingFacts {
  const hit = cache.get(service);
  if (hit) return hit;
  const facts: SharingFacts = {
    key: service.sharingKey,
    backendKey: service.externalTrafficPolicy === "Local" ? selectorText(service.selector) : "",
    ports: [...new Set(service.ports.map((p) => `${p.protocol}/${p.port}`))].sort(),
  };
  cache.set(service, facts);
  return facts;
}

export function sameFacts(a: SharingFacts, b: SharingFacts): boolean {
  return a.key === b.key && a.backendKey === b.backendKey && a.ports.length === b.ports.length && a.ports.every((p, i) => p === b.ports[i]);
}

/** Why two uses of one IP cannot coexist, or null when they can. */
export function sharingConflict(a: SharingFacts, b: SharingFacts): string | null {
  if (a.key === null || b.key === null) return "does not allow sharing";
  if (a.key !== b.key) return `sharing key "${b.key}" differs from "${a.key}"`;
  if (a.backendKey !== b.backendKey) return `backend key "${b.backendKey}" differs from "${a.backendKey}"`;
  const clash = a.ports.find((p) => b.ports.includes(p));
  return clash === undefined ? null : `port ${clash} is already in use`;
}

export const canShare = (a: SharingFacts, b: SharingFacts): boolean => sharingConflict(a, b) === null;
